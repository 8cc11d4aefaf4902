// Region suggestions for the filter box: type part of a place name, pick from the list
// (with each place's parents). Without JavaScript the box still takes a name or a code.
(function () {
  "use strict";
  function setup(input) {
    var list = document.createElement("ul");
    list.className = "suggest";
    list.hidden = true;
    list.setAttribute("role", "listbox");
    input.parentNode.appendChild(list);
    var items = [], active = -1, timer = null, seq = 0;

    function close() { list.hidden = true; active = -1; }
    function pick(i) {
      var r = items[i];
      if (!r) return;
      // a name shared by several places (朝阳) is sent as the code, which is unambiguous
      var shared = items.filter(function (x) { return x.name === r.name; }).length > 1;
      input.value = shared ? r.code : r.name;
      close();
    }
    function show(rows) {
      items = rows;
      list.textContent = "";
      rows.forEach(function (r, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        var n = document.createElement("span");
        n.className = "n";
        n.textContent = r.articles ? r.articles + " 篇" : "";
        var name = document.createElement("span");
        name.textContent = r.name;
        var path = document.createElement("div");
        path.className = "path";
        path.textContent = r.parents.length ? r.parents.join(" › ") : "省级";
        li.appendChild(n);
        li.appendChild(name);
        li.appendChild(path);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      list.hidden = rows.length === 0;
      active = -1;
    }
    function highlight(i) {
      var lis = list.querySelectorAll("li");
      lis.forEach(function (li, j) { li.classList.toggle("active", j === i); });
      active = i;
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch(input.dataset.suggest + "?limit=8&q=" + encodeURIComponent(q))
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (rows) { if (mine === seq) show(rows); })
          .catch(function () { close(); });
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); pick(active); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-suggest]").forEach(setup);
  });
})();
