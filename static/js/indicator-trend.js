// Monthly trend of one indicator (year to date at each month's end) against its target; data from json_script.
document.addEventListener("DOMContentLoaded", function () {
  var holder = document.getElementById("indicator-trend");
  var data = document.getElementById("indicator-trend-data");
  if (!holder || !data || !window.echarts) { return; }
  var t = JSON.parse(data.textContent);
  var chart = window.echarts.init(holder);
  chart.setOption({
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 50, right: 20, top: 30, bottom: 30 },
    xAxis: { type: "category", data: t.labels },
    yAxis: { type: "value", axisLabel: { formatter: "{value}" + (t.unit || "") } },
    series: [
      { name: t.names.value, type: "line", data: t.value, connectNulls: false, symbolSize: 8 },
      { name: t.names.target, type: "line", data: t.target, lineStyle: { type: "dashed" }, symbol: "none" }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
});
