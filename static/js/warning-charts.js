// Early-warning page: one small line chart per daily series (last 30 days), alarm days marked; data from the
// json_script tag "warning-data" (no inline script).
document.addEventListener("DOMContentLoaded", function () {
  var data = document.getElementById("warning-data");
  if (!data || !window.echarts) { return; }
  var d = JSON.parse(data.textContent);
  var charts = [];
  d.series.forEach(function (s) {
    var holder = document.getElementById(s.id);
    if (!holder) { return; }
    var chart = window.echarts.init(holder);
    chart.setOption({
      tooltip: { trigger: "axis" },
      grid: { left: 40, right: 12, top: 16, bottom: 24 },
      xAxis: { type: "category", data: s.labels },
      yAxis: { type: "value", minInterval: s.name.indexOf("screening_mean") === 0 || s.name.indexOf("_rate") > 0 ? 0 : 1 },
      series: [
        { name: s.label, type: "line", data: s.values, connectNulls: false, symbolSize: 4 },
        {
          name: d.alarm, type: "scatter", symbolSize: 11, itemStyle: { color: "#c62828" },
          data: s.alarms.map(function (a) { return { value: [a[0], a[1]], methods: a[2] }; }),
          tooltip: { trigger: "item", formatter: function (p) { return s.labels[p.value[0]] + " · " + d.alarm + " " + p.data.methods; } }
        }
      ]
    });
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
});
