/* The admin's periodic task form (django-celery-beat): under the crontab
 * field, what the chosen schedule means in words. The package does this in
 * an inline script, which the Content-Security-Policy blocks; the template
 * templates/admin/djcelery/change_periodictask_form.html loads this instead. */
(function ($) {
  "use strict";

  var readable = JSON.parse(document.getElementById("readable-crontabs").textContent);
  var help = JSON.parse(document.getElementById("crontab-help").textContent);

  $(".field-crontab_translation").hide();
  $(".field-crontab").on("change", function () {
    var words = readable[$("#id_crontab").val()];
    // Text, not HTML: the schedule's words come from the database.
    $(".field-crontab .help").text(help).append("<br>", document.createTextNode("Translation: " + words));
  });
})(django.jQuery);
