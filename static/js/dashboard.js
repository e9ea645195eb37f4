/* The overview's charts, drawn with Apache ECharts (static/vendor/echarts)
 * from the JSON the page carries in #dashboard-data. Every number here is
 * also in the table behind the chart (its 数据表 tab); the words come from
 * the server, translated. Plain script, no build step. */
(function () {
  "use strict";

  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);

  var COLORS = {
    verified: "#198754",
    verified_light: "#75b798",
    completed: "#0dcaf0",
    in_progress: "#0d6efd",
    not_started: "#adb5bd",
    overdue: "#dc3545",
    pending: "#ffc107",
    lead_open: "#fd7e14",
    responsible_open: "#ffda6a",
    due: "#6c757d",
  };
  var FONT = 'system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif';
  var charts = [];
  // On a phone (Bootstrap's xs, as static/css/portal.css) names get less room
  // and the deadline calendar is drawn a quarter at a time (docs/dashboards.md).
  var PHONE = window.matchMedia("(max-width: 575.98px)").matches;
  var NAME_WIDTH = PHONE ? 96 : 150;

  function draw(name, height, option, onClick) {
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
    if (onClick) {
      chart.on("click", onClick);
      chart.getZr().setCursorStyle("pointer");
    }
    charts.push(chart);
  }

  function filterBy(name, value) {
    var url = new URL(window.location.href);
    url.searchParams.set(name, value);
    window.location.assign(url.toString());
  }

  function colored(series, extra) {
    return series.map(function (item) {
      return Object.assign(
        { name: item.name, data: item.data, itemStyle: { color: COLORS[item.key] } },
        extra || {},
        item.stack ? { stack: item.stack } : {}
      );
    });
  }

  // Bars by category or by unit, one row each; a click on a row narrows the
  // whole page to it (`param` set to the row's entry in `values`).
  function drawRows(name, rowHeight, stackAll, param, values) {
    var chart = data[name];
    draw(name, 70 + rowHeight * chart.names.length, horizontalBars(chart.names, chart.series, stackAll), function (event) {
      filterBy(param, values[event.dataIndex]);
    });
  }

  function horizontalBars(names, series, stackAll) {
    return {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1, axisLabel: { hideOverlap: true } },
      yAxis: {
        type: "category",
        data: names,
        inverse: true,
        axisLabel: { width: NAME_WIDTH, overflow: "truncate" },
      },
      series: colored(series, Object.assign({ type: "bar", barMaxWidth: 18 }, stackAll ? { stack: "all" } : {})),
    };
  }

  drawRows("categories", 30, true, "category", data.categories.names);

  var trend = data.trend;
  draw("trend", 300, {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: trend.days, boundaryGap: false },
    yAxis: { type: "value", minInterval: 1 },
    series: colored(trend.series, { type: "line", symbolSize: 6 }).map(function (line, index) {
      if (index === 0) {
        line.lineStyle = { type: "dashed" };
      }
      return line;
    }),
  });

  var months = data.months;
  draw("months", 300, {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: months.names },
    yAxis: { type: "value", minInterval: 1 },
    series: colored(months.series, { type: "bar", stack: "all", barMaxWidth: 36 }),
  });

  // The deadline calendar: each day coloured by how many tasks fall due on
  // it, a red dot sized by how many of those are overdue, never bigger than
  // 70 % of its day's cell. The whole range in one strip on a wide screen; on a
  // phone one strip per three months, one under the other, so that month
  // names and cells keep their size.
  var cal = data.calendar;
  var calendarElement = document.querySelector('[data-chart="calendar"]');
  var DAY = 86400000;
  var iso = function (time) {
    return new Date(time).toISOString().slice(0, 10);
  };
  var span = Array.isArray(cal.range) ? cal.range : [cal.range + "-01-01", cal.range + "-12-31"];
  var years = 1 + Number(span[1].slice(0, 4)) - Number(span[0].slice(0, 4));
  var strips = [];
  if (PHONE) {
    var first = new Date(span[0] + "T00:00:00Z");
    var end = Date.parse(span[1] + "T00:00:00Z");
    while (first.getTime() <= end) {
      var next = Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 3, 1);
      strips.push([iso(first.getTime()), iso(Math.min(next - DAY, end))]);
      first = new Date(next);
    }
  } else {
    strips.push(span);
  }
  var CELL_HEIGHT = 18;
  var STRIP_HEIGHT = 7 * CELL_HEIGHT + 40; // a phone's strip and the month names above it
  var calendars = [];
  var calendarSeries = [];
  var widest = calendarElement ? calendarElement.clientWidth : 800;
  strips.forEach(function (strip, index) {
    var weeks = Math.ceil((Date.parse(strip[1]) - Date.parse(strip[0])) / DAY / 7) + 2;
    var cell = Math.min(CELL_HEIGHT, (widest - 52) / weeks);
    var dotLimit = Math.max(3, Math.floor(0.7 * cell));
    var inStrip = cal.data.filter(function (day) {
      return day[0] >= strip[0] && day[0] <= strip[1];
    });
    calendars.push({
      range: PHONE ? strip : cal.range,
      top: 30 + index * STRIP_HEIGHT,
      left: 36,
      right: 16,
      height: PHONE ? 7 * CELL_HEIGHT : undefined,
      bottom: PHONE ? undefined : 40,
      cellSize: ["auto", CELL_HEIGHT],
      yearLabel: { show: years > 1 && !PHONE },
      dayLabel: { nameMap: cal.names, firstDay: 1 },
      monthLabel: { nameMap: cal.names },
      itemStyle: { borderColor: "#fff", borderWidth: 2, color: "#f8f9fa" },
      splitLine: { lineStyle: { color: "#adb5bd", width: 1 } },
    });
    calendarSeries.push(
      { type: "heatmap", coordinateSystem: "calendar", calendarIndex: index, name: cal.label, data: inStrip },
      {
        type: "scatter",
        coordinateSystem: "calendar",
        calendarIndex: index,
        name: cal.words.overdue,
        data: inStrip.filter(function (day) {
          return day[3] > 0;
        }),
        symbolSize: function (day) {
          return Math.min(dotLimit, 4 + 2 * Math.sqrt(day[3]));
        },
        itemStyle: { color: COLORS.overdue },
      }
    );
  });
  draw("calendar", PHONE ? 30 + strips.length * STRIP_HEIGHT + 30 : 40 + 190 * years, {
    tooltip: {
      formatter: function (item) {
        var day = item.data;
        return (
          day[4] + "<br>" +
          cal.words.due + " " + day[1] + " · " + cal.words.verified + " " + day[2] + " · " +
          cal.words.overdue + " " + day[3]
        );
      },
    },
    visualMap: {
      type: "piecewise",
      seriesIndex: calendarSeries
        .map(function (series, index) {
          return series.type === "heatmap" ? index : -1;
        })
        .filter(function (index) {
          return index >= 0;
        }),
      dimension: 1,
      orient: "horizontal",
      left: "center",
      bottom: 0,
      pieces: [
        { min: 1, max: 5, label: "1–5" },
        { min: 6, max: 20, label: "6–20" },
        { min: 21, max: 50, label: "21–50" },
        { min: 51, label: "≥ 51" },
      ],
      inRange: { color: ["#cfe2ff", "#6ea8fe", "#0d6efd", "#052c65"] },
    },
    calendar: calendars,
    series: calendarSeries,
  });

  var ranking = data.ranking;
  draw(
    "ranking",
    50 + 26 * Math.max(ranking.names.length, 1),
    {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: function (v) { return v + "%"; } },
      grid: { left: 8, right: 48, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%", hideOverlap: true } },
      yAxis: { type: "category", data: ranking.names, inverse: true, axisLabel: { width: NAME_WIDTH, overflow: "truncate" } },
      series: [
        {
          type: "bar",
          name: ranking.label,
          data: ranking.values,
          barMaxWidth: 16,
          itemStyle: { color: COLORS.verified },
          label: { show: true, position: "right", formatter: "{c}%" },
        },
      ],
    },
    function (event) {
      filterBy("unit", ranking.ids[event.dataIndex]);
    }
  );

  drawRows("units", 34, false, "unit", data.units.ids);

  var resize = function () {
    charts.forEach(function (chart) {
      chart.resize();
    });
  };
  window.addEventListener("resize", resize);
  // A chart drawn while its tab was hidden has no size: redraw when shown.
  document.addEventListener("shown.bs.tab", resize);
})();
