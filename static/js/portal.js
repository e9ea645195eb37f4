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
    // Choosing 已完成 on a progress report sets 完成进度 to 100 (the server
    // does the same for a browser without script: ProgressReportForm.clean).
    if (target.matches("input[data-sets-percent]") && target.checked && target.form) {
      var percent = target.form.elements.namedItem("percent");
      if (percent) {
        percent.value = target.getAttribute("data-sets-percent");
      }
    }
  });

  // A header tick box with data-select-all="<name>" ticks every box of that
  // name on the page (全部任务's rows).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("input[data-select-all]")) {
      var name = target.getAttribute("data-select-all");
      document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
        box.checked = target.checked;
      });
    }
  });

  // 引用: a button with data-quote-target="<textarea id>" appends the text
  // of the element named by data-quote-source to that textarea.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-quote-target]");
    if (!button) {
      return;
    }
    var field = document.getElementById(button.getAttribute("data-quote-target"));
    var source = document.getElementById(button.getAttribute("data-quote-source"));
    if (field && source) {
      var quoted = source.textContent.trim();
      field.value = field.value ? field.value.replace(/\s+$/, "") + "\n" + quoted : quoted;
      field.focus();
    }
  });
})();
