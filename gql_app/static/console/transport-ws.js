// The client side of graphql-transport-ws (the protocol of the graphql-ws library), enough for
// one subscription per socket: connection_init -> connection_ack, subscribe, next..., complete.
// ping is answered with pong. Spec: github.com/enisdenjo/graphql-ws, PROTOCOL.md.

const PROTOCOL = "graphql-transport-ws";

/**
 * Subscribe to one operation. Handlers: onNext(data), onError(error), onComplete().
 * Returns {close()}, which tells the server "complete" and closes the socket.
 * connectionPayload goes in connection_init (the API token as {"Authorization": "Bearer ..."}).
 */
export function subscribe({ url, query, variables, connectionPayload, onNext, onError, onComplete, ackTimeoutMs = 10000 }) {
  const id = "1";
  let finished = false;
  let acknowledged = false;
  const socket = new WebSocket(url, PROTOCOL);

  function finish(callback, value) {
    if (finished) return;
    finished = true;
    clearTimeout(ackTimer);
    callback(value);
  }

  const send = (message) => socket.send(JSON.stringify(message));

  const ackTimer = setTimeout(() => {
    if (!acknowledged) {
      finish(onError, new Error("the server did not acknowledge the connection"));
      socket.close(4408, "Connection initialisation timeout");
    }
  }, ackTimeoutMs);

  socket.addEventListener("open", () => {
    const init = { type: "connection_init" };
    if (connectionPayload && Object.keys(connectionPayload).length) init.payload = connectionPayload;
    send(init);
  });

  socket.addEventListener("message", (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (_error) {
      finish(onError, new Error("the server sent a message that is not JSON"));
      socket.close(4400, "Invalid message");
      return;
    }
    switch (message.type) {
      case "connection_ack":
        acknowledged = true;
        clearTimeout(ackTimer);
        send({ id, type: "subscribe", payload: { query, variables } });
        break;
      case "ping":
        send({ type: "pong" });
        break;
      case "pong":
        break;
      case "next":
        if (message.id !== id || finished) break;
        if (message.payload.errors && message.payload.errors.length) {
          finish(onError, new Error(message.payload.errors.map((e) => e.message).join("; ")));
          socket.close(1000, "Normal Closure");
        } else {
          onNext(message.payload.data);
        }
        break;
      case "error":
        finish(onError, new Error((message.payload || []).map((e) => e.message).join("; ") || "subscription error"));
        socket.close(1000, "Normal Closure");
        break;
      case "complete":
        if (message.id !== id) break;
        finish(onComplete);
        socket.close(1000, "Normal Closure");
        break;
      default:
        finish(onError, new Error(`unexpected message type ${message.type}`));
        socket.close(4400, "Invalid message");
    }
  });

  socket.addEventListener("close", (event) => {
    finish(onError, new Error(`the connection closed (${event.code}${event.reason ? ` ${event.reason}` : ""})`));
  });

  return {
    close() {
      if (!finished && acknowledged && socket.readyState === WebSocket.OPEN) send({ id, type: "complete" });
      finished = true;
      clearTimeout(ackTimer);
      if (socket.readyState <= WebSocket.OPEN) socket.close(1000, "Normal Closure");
    },
  };
}
