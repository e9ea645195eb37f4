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

  // A table.phone-cards shows its rows as cards on a phone (static/css/portal.css):
  // each cell gets its column's heading as data-label, unless it has one.
  document.querySelectorAll("table.phone-cards").forEach(function (table) {
    if (!table.tHead || !table.tHead.rows.length) {
      return;
    }
    var headings = [];
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      for (var span = 0; span < th.colSpan; span++) {
        headings.push(th.textContent.trim());
      }
    });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      var spanned = []; // rows still covered by a cell above, per column (rowspan)
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          while (spanned[column] > 0) {
            spanned[column] -= 1;
            column += 1;
          }
          if (!cell.hasAttribute("data-label") && cell.tagName === "TD" && cell.colSpan === 1) {
            cell.setAttribute("data-label", headings[column] || "");
          }
          for (var span = 0; span < cell.colSpan; span++) {
            spanned[column] = cell.rowSpan - 1;
            column += 1;
          }
        });
        for (; column < spanned.length; column++) {
          spanned[column] = Math.max(0, (spanned[column] || 0) - 1);
        }
      });
    });
  });
})();
