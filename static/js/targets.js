/* The task page's small target charts, drawn with Apache ECharts
 * (static/vendor/echarts) from the JSON in #target-data: the indicator's
 * values over time (by 截至 date) and the target as a dashed line (two for a
 * range). Every number is also written beside the chart. Plain script. */
(function () {
  "use strict";

  var source = document.getElementById("target-data");
  if (!source || typeof echarts === "undefined") {
    return;
  }
  var FONT = 'system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif';
  var charts = [];

  JSON.parse(source.textContent).forEach(function (item) {
    var element = document.querySelector('[data-target-chart="' + item.id + '"]');
    if (!element) {
      return;
    }
    var values = item.points.map(function (p) { return p[1]; }).concat(item.lines);
    var chart = echarts.init(element, null, { renderer: "canvas", locale: document.documentElement.lang.indexOf("zh") === 0 ? "ZH" : "EN" });
    chart.setOption({
      textStyle: { fontFamily: FONT },
      aria: { enabled: true },
      animation: false,
      grid: { left: 48, right: 16, top: 12, bottom: 28 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "time" },
      yAxis: {
        type: "value",
        min: Math.min(0, Math.min.apply(null, values)),
        max: item.unit === "%" ? 100 : null,
        axisLabel: { formatter: "{value}" + (item.unit === "%" ? "%" : "") },
      },
      series: [
        {
          name: item.name,
          type: "line",
          data: item.points,
          symbolSize: 6,
          itemStyle: { color: "#0d6efd" },
          markLine: {
            symbol: "none",
            label: { formatter: "{c}" },
            lineStyle: { color: "#198754", type: "dashed" },
            data: item.lines.map(function (line) { return { yAxis: line }; }),
          },
        },
      ],
    });
    charts.push(chart);
  });

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
})();
