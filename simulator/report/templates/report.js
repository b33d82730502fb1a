"use strict";
(function () {
  function entriesOf(run) {
    if (!run._entries) {
      var node = run.querySelector("script.entries");
      run._entries = node ? JSON.parse(node.textContent) : {};
    }
    return run._entries;
  }
  function showEntry(run, seq) {
    var entry = entriesOf(run)[seq];
    run.querySelector("pre.detail").textContent = entry ? JSON.stringify(entry, null, 2) : "#" + seq + " is not embedded";
    run.querySelectorAll("circle.current").forEach(function (m) { m.classList.remove("current"); });
    var figure = run.querySelector("figure.timeline:not([hidden])");
    var mark = figure && figure.querySelector('circle[data-seq="' + seq + '"]');
    if (mark) { mark.classList.add("current"); }
  }
  function select(row) {
    var run = row.closest("section.run");
    var figure = document.getElementById(row.dataset.timeline);
    if (!figure) { return; }
    run.querySelectorAll("div.violation.selected").forEach(function (r) { r.classList.remove("selected"); });
    row.classList.add("selected");
    run.querySelectorAll("figure.timeline").forEach(function (f) { f.hidden = f !== figure; });
    var chain = row.dataset.chain ? row.dataset.chain.split(",") : [];
    var cited = new Set(chain);
    figure.querySelectorAll("circle.m").forEach(function (m) { m.classList.toggle("cited", cited.has(m.dataset.seq)); });
    var list = run.querySelector("ol.chain");
    list.textContent = "";
    var entries = entriesOf(run);
    chain.forEach(function (seq) {
      var e = entries[seq] || {};
      var li = document.createElement("li");
      li.dataset.seq = seq;
      li.textContent = "#" + seq + " " + (e.virtualTime || "") + " " + (e.kind || "") + " " + (e.partner || "") + " " +
        (e.operation || "") + (e.status ? " " + e.status : "");
      list.appendChild(li);
    });
    var first = figure.querySelector("circle.cited");
    if (first) {
      var scroller = figure.querySelector(".scroll");
      scroller.scrollLeft = Math.max(0, Number(first.getAttribute("cx")) - 200);
      showEntry(run, first.dataset.seq);
    }
    figure.scrollIntoView({block: "nearest"});
  }
  document.addEventListener("click", function (event) {
    var target = event.target;
    var run = target.closest && target.closest("section.run");
    if (!run) { return; }
    if (target.matches("circle.m")) { showEntry(run, target.dataset.seq); return; }
    var li = target.closest("ol.chain li");
    if (li) { showEntry(run, li.dataset.seq); return; }
    var row = target.closest("div.violation");
    if (row) { select(row); }
  });
  var search = document.getElementById("search");
  var count = document.getElementById("search-count");
  search.addEventListener("input", function () {
    var query = search.value.trim().toLowerCase();
    var shown = 0;
    document.querySelectorAll("div.violation").forEach(function (row) {
      var hit = !query || (row.dataset.serials + " " + row.textContent).toLowerCase().indexOf(query) >= 0;
      row.hidden = !hit;
      if (hit) { shown += 1; }
    });
    count.textContent = query ? shown + " violations match" : "";
  });
}());
