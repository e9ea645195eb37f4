/* Small behaviours of every portal page, here rather than in the templates:
 * the Content-Security-Policy (settings.CONTENT_SECURITY_POLICY) runs no
 * inline script or event handler. Plain script, no build step. */
(function () {
  "use strict";

  // A <select data-autosubmit> sends its form as soon as a value is chosen
  // (the year on the task lists).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("select[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });
})();
