// Swagger UI for lakeopt's REST API, from the package's own copy (see /static/vendor/).
// No online validator (it would send the document to another host); the console's API
// token, when one is saved, is sent as the Authorization header of "Try it out" requests.
(function () {
  "use strict";

  function savedToken() {
    try {
      return window.localStorage.getItem("lakeopt.token") || "";
    } catch (_error) {
      return "";
    }
  }

  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#ui",
    validatorUrl: null,
    deepLinking: true,
    requestInterceptor: function (request) {
      const token = savedToken();
      if (token && !request.headers.Authorization) {
        request.headers.Authorization = "Bearer " + token;
      }
      return request;
    },
  });
})();
