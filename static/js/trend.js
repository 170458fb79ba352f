// Score trend on the person page: one line per instrument, data from the json_script tag (no inline script).
document.addEventListener("DOMContentLoaded", function () {
  var holder = document.getElementById("trend");
  var data = document.getElementById("trend-data");
  if (!holder || !data || !window.echarts) { return; }
  var series = JSON.parse(data.textContent);
  var chart = window.echarts.init(holder);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 20, top: 30, bottom: 30 },
    xAxis: { type: "category" },
    yAxis: { type: "value", minInterval: 1 },
    series: Object.keys(series).map(function (code) {
      return { name: code, type: "line", data: series[code], symbolSize: 8 };
    })
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
