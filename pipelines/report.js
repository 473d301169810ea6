// Renders the charts of a `bankconnect report` page: the figures are Plotly specs built in Python and
// kept as JSON in <script type="application/json" id="report-data">; this file follows Plotly's bundle.
(function () {
  "use strict";
  var holder = document.getElementById("report-data");
  if (!holder) { return; }
  var report = JSON.parse(holder.textContent);
  var config = { displayModeBar: false, responsive: true };
  (report.figures || []).forEach(function (figure) {
    var target = document.getElementById(figure.target);
    if (target) { Plotly.newPlot(target, figure.data, figure.layout, config); }
  });
  document.body.setAttribute("data-charts", String((report.figures || []).length));
})();
