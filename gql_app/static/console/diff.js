// A small line diff for showing a query beside its rewrite: longest common subsequence of lines,
// each run of removed lines paired with the added run that follows (so the columns align), and
// the changed words marked inside each pair.

/** Cells of the LCS table above this are not computed: the middle is shown as replaced whole. */
const MAX_CELLS = 4_000_000;

/** Edit script from a to b: [{op: "=", a, b} | {op: "-", a} | {op: "+", b}] with indexes. */
function editScript(a, b) {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start += 1;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA -= 1;
    endB -= 1;
  }
  const ops = [];
  for (let i = 0; i < start; i += 1) ops.push({ op: "=", a: i, b: i });
  const n = endA - start;
  const m = endB - start;
  if (n * m > MAX_CELLS) {
    for (let i = start; i < endA; i += 1) ops.push({ op: "-", a: i });
    for (let j = start; j < endB; j += 1) ops.push({ op: "+", b: j });
  } else {
    // lengths[i][j]: LCS length of a[start+i..endA) and b[start+j..endB)
    const lengths = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i -= 1) {
      for (let j = m - 1; j >= 0; j -= 1) {
        lengths[i][j] =
          a[start + i] === b[start + j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[start + i] === b[start + j]) {
        ops.push({ op: "=", a: start + i, b: start + j });
        i += 1;
        j += 1;
      } else if (j < m && (i === n || lengths[i][j + 1] >= lengths[i + 1][j])) {
        ops.push({ op: "+", b: start + j });
        j += 1;
      } else {
        ops.push({ op: "-", a: start + i });
        i += 1;
      }
    }
  }
  for (let k = 0; k < a.length - endA; k += 1) ops.push({ op: "=", a: endA + k, b: endB + k });
  return ops;
}

/**
 * Rows for a side-by-side view of texts a and b:
 * [{kind: "same" | "change" | "del" | "add", left: string | null, right: string | null}].
 */
export function diffLines(a, b) {
  const left = a.split("\n");
  const right = b.split("\n");
  const rows = [];
  let removed = [];
  let added = [];
  const flush = () => {
    const paired = Math.min(removed.length, added.length);
    for (let k = 0; k < paired; k += 1) rows.push({ kind: "change", left: removed[k], right: added[k] });
    for (let k = paired; k < removed.length; k += 1) rows.push({ kind: "del", left: removed[k], right: null });
    for (let k = paired; k < added.length; k += 1) rows.push({ kind: "add", left: null, right: added[k] });
    removed = [];
    added = [];
  };
  for (const step of editScript(left, right)) {
    if (step.op === "=") {
      flush();
      rows.push({ kind: "same", left: left[step.a], right: right[step.b] });
    } else if (step.op === "-") {
      removed.push(left[step.a]);
    } else {
      added.push(right[step.b]);
    }
  }
  flush();
  return rows;
}

/** Words (and the spaces and punctuation between them) of two changed lines, each marked changed or not. */
export function diffWords(a, b) {
  const split = (text) => text.match(/\w+|\s+|[^\w\s]/g) || [];
  const left = split(a);
  const right = split(b);
  const leftParts = [];
  const rightParts = [];
  for (const step of editScript(left, right)) {
    if (step.op === "=") {
      leftParts.push({ text: left[step.a], changed: false });
      rightParts.push({ text: right[step.b], changed: false });
    } else if (step.op === "-") {
      leftParts.push({ text: left[step.a], changed: true });
    } else {
      rightParts.push({ text: right[step.b], changed: true });
    }
  }
  return { left: merge(leftParts), right: merge(rightParts) };
}

function merge(parts) {
  const merged = [];
  for (const part of parts) {
    const last = merged[merged.length - 1];
    if (last && last.changed === part.changed) last.text += part.text;
    else merged.push({ ...part });
  }
  return merged;
}

/** True when the two texts differ in more than whitespace. */
export function differs(a, b) {
  return a.replace(/\s+/g, " ").trim() !== b.replace(/\s+/g, " ").trim();
}
