/* The leaderboard page: search, "my row" (remembered in this browser), sortable columns,
   and the chart of progress (the top N and the reader's own line), drawn from the page's
   own data. Nothing is fetched. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("lb-data").textContent);
  var KEY = "gradeschool-me";
  var PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
                 "#e377c2", "#7f7f7f", "#bcbd22"];
  var SVG = "http://www.w3.org/2000/svg";
  var table = document.getElementById("board");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.dataset.n; });
  var byName = {};
  rows.forEach(function (r) { byName[r.dataset.n] = r; });
  var search = document.getElementById("search");
  var count = document.getElementById("count");
  var me = null;

  function remembered() {
    var m = /^#me=(.+)$/.exec(location.hash);
    if (m) return decodeURIComponent(m[1]);
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }

  /* ---------------------------------------------------------------- search and my row */
  function filter() {
    var q = search.value.trim().toLowerCase(), n = 0;
    rows.forEach(function (r) {
      var hit = !q || r.dataset.n.toLowerCase().indexOf(q) >= 0;
      r.hidden = !hit;
      n += hit ? 1 : 0;
    });
    count.textContent = q ? n + " of " + rows.length : rows.length + " participants";
  }

  function setMe(name, scroll, remember) {
    var row = byName[name];
    if (!row) return false;
    if (me && byName[me]) { byName[me].classList.remove("me"); byName[me].removeAttribute("aria-current"); }
    me = name;
    row.classList.add("me");
    row.setAttribute("aria-current", "true");
    if (remember) {
      try { localStorage.setItem(KEY, name); } catch (e) { /* private mode: not remembered */ }
    }
    drawChart();
    if (scroll) {
      row.hidden = false;
      row.tabIndex = -1;
      row.scrollIntoView({ block: "center" });
      row.focus({ preventScroll: true });
    }
    return true;
  }

  search.addEventListener("input", filter);
  search.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter") return;
    var visible = rows.filter(function (r) { return !r.hidden; });
    var pick = byName[search.value.trim()] || (visible.length === 1 ? visible[0] : null);
    if (!pick) return;
    search.value = "";
    filter();
    setMe(pick.dataset.n, true, true);
  });
  document.getElementById("mine").addEventListener("click", function () {
    if (!me) { search.focus(); return; }
    search.value = "";
    filter();
    setMe(me, true, false);
  });

  /* ---------------------------------------------------------------- sorting */
  var heads = table.tHead.rows[0].cells;
  function value(row, i, numeric) {
    var v = row.cells[i].textContent;
    if (!numeric) return v.toLowerCase();
    var f = parseFloat(v);   /* "112 / 149", "1.87×…": the leading number; "—": none */
    return isNaN(f) ? null : f;
  }
  function sortBy(i, dir) {
    var numeric = heads[i].getAttribute("data-type") === "number";
    rows.slice().sort(function (a, b) {
      var x = value(a, i, numeric), y = value(b, i, numeric);
      if (x === y) return value(a, 0, true) - value(b, 0, true);
      if (x === null) return 1;           /* no value: always last */
      if (y === null) return -1;
      return (x < y ? -1 : 1) * (dir === "ascending" ? 1 : -1);
    }).forEach(function (r) { body.appendChild(r); });
    for (var j = 0; j < heads.length; j++) {
      if (!heads[j].hasAttribute("data-type")) continue;
      heads[j].setAttribute("aria-sort", j === i ? dir : "none");
      heads[j].querySelector(".arrow").textContent = j === i ? (dir === "ascending" ? "▲" : "▼") : "";
    }
  }
  Array.prototype.forEach.call(heads, function (th, i) {
    if (!th.hasAttribute("data-type")) return;
    th.addEventListener("click", function () {
      var now = th.getAttribute("aria-sort"), first = th.getAttribute("data-first") || "ascending";
      sortBy(i, now === first ? (first === "ascending" ? "descending" : "ascending") : first);
    });
  });

  /* ---------------------------------------------------------------- the chart */
  function niceStep(top, most) {
    var base = top > 0 ? Math.pow(10, Math.floor(Math.log10(top / most))) : 1;
    var m = [1, 2, 5, 10].find(function (k) { return top / (k * base) <= most; });
    return m * base;
  }
  function el(name, attrs, text) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function stamp(minutes) {
    return new Date((data.t0 + minutes * 60) * 1000).toISOString().slice(0, 16).replace("T", " ");
  }

  function drawChart() {
    var svg = document.getElementById("chart"), legend = document.getElementById("legend");
    var W = Math.max(320, Math.round(svg.getBoundingClientRect().width)) || 1000, H = W < 600 ? 240 : 320;
    var L = 40, R = 12, T = 12, B = 36;   /* drawn at the size shown: labels stay 12 px */
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    var names = data.top.slice();
    if (me && data.series[me] && names.indexOf(me) < 0) names.push(me);
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    legend.textContent = "";
    if (!names.length) return;
    var span = data.span || 1, step = niceStep(data.max, 6), top = step * Math.ceil(data.max / step - 1e-9) || 1;
    function x(t) { return L + (data.span ? t / span : 0.5) * (W - L - R); }
    function y(p) { return H - B - p / top * (H - T - B); }
    for (var k = 0; k <= Math.round(top / step); k++) {
      var p = k * step;
      svg.appendChild(el("line", { x1: L, x2: W - R, y1: y(p), y2: y(p), stroke: "#e3e7ee" }));
      svg.appendChild(el("text", { x: L - 6, y: y(p) + 4, "text-anchor": "end" }, String(+p.toFixed(4))));
    }
    svg.appendChild(el("text", { x: L, y: H - 10, "text-anchor": "start" }, stamp(0) + " UTC"));
    if (data.span) svg.appendChild(el("text", { x: W - R, y: H - 10, "text-anchor": "end" }, stamp(span) + " UTC"));
    names.forEach(function (name, i) {
      var mine = name === me, colour = mine ? "#1d2330" : PALETTE[i % PALETTE.length];
      var pts = data.series[name], d = "", prev = null;
      var g = el("g", { "data-name": name, "class": mine ? "me" : "" });
      pts.forEach(function (pt) {   /* progress only rises: a step line, never a drop */
        d += prev === null ? "M" + x(pt[0]) + "," + y(pt[1]) : "H" + x(pt[0]) + "V" + y(pt[1]);
        prev = pt;
      });
      d += "H" + x(span);
      g.appendChild(el("path", { d: d, fill: "none", stroke: colour, "stroke-width": mine ? 3.5 : 1.8 }));
      pts.forEach(function (pt) {
        var c = el("circle", { cx: x(pt[0]), cy: y(pt[1]), r: mine ? 4.5 : 3, fill: colour });
        c.appendChild(el("title", {}, name + ": " + pt[1] + " points, " + stamp(pt[0]) + " UTC"));
        g.appendChild(c);
      });
      svg.appendChild(g);
      var item = document.createElement("span");
      item.style.setProperty("--c", colour);
      item.textContent = (mine ? "you: " : "") + name;
      if (mine) item.className = "me";
      legend.appendChild(item);
    });
  }

  window.addEventListener("resize", drawChart);
  filter();
  var start = data.highlight || remembered();
  if (!(start && setMe(start, false, false))) drawChart();
  document.documentElement.setAttribute("data-ready", "1");
})();
