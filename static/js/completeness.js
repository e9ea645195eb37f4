/* 报送完整率 charts (Apache ECharts, static/vendor/echarts), from the JSON
 * the page carries: a month's rate per unit (#completeness-data) or units'
 * rates month by month (#unit-completeness-data). The same numbers are in
 * the page's tables. Plain script, no build step. */
(function () {
  "use strict";

  if (typeof echarts === "undefined") {
    return;
  }
  var FONT = 'system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif';
  var charts = [];
  // Less room for names on a phone (as static/js/dashboard.js).
  var NAME_WIDTH = window.matchMedia("(max-width: 575.98px)").matches ? 96 : 150;

  function read(id) {
    var source = document.getElementById(id);
    return source ? JSON.parse(source.textContent) : null;
  }

  function draw(name, height, option) {
    var element = document.querySelector('[data-chart="' + name + '"]');
    if (!element) {
      return;
    }
    element.style.height = height + "px";
    var chart = echarts.init(element, null, { renderer: "canvas", locale: document.documentElement.lang.indexOf("zh") === 0 ? "ZH" : "EN" });
    option.textStyle = { fontFamily: FONT };
    option.aria = { enabled: true };
    option.animation = false;
    chart.setOption(option);
    charts.push(chart);
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : value + "%";
  }

  var month = read("completeness-data");
  if (month && month.names) {
    draw("completeness", 50 + 26 * Math.max(month.names.length, 1), {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: percent },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%", hideOverlap: true } },
      yAxis: { type: "category", data: month.names, inverse: true, axisLabel: { width: NAME_WIDTH, overflow: "truncate" } },
      series: [
        {
          type: "bar",
          name: month.label,
          barMaxWidth: 16,
          label: { show: true, position: "right", formatter: "{c}%" },
          data: month.rates.map(function (rate) {
            return { value: rate, itemStyle: { color: rate >= 100 ? "#198754" : "#dc3545" } };
          }),
        },
      ],
    });
  }

  var year = read("unit-completeness-data");
  if (year && year.months && year.months.length) {
    draw("unit-completeness", 300, {
      tooltip: { trigger: "axis", valueFormatter: percent },
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: year.months },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: year.series.map(function (unit) {
        return { type: "bar", name: unit.name, data: unit.data, barMaxWidth: 28 };
      }),
    });
  }

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) {
      chart.resize();
    });
  });
  document.addEventListener("shown.bs.tab", function () {
    charts.forEach(function (chart) {
      chart.resize();
    });
  });
})();
