// New-visit form: when the facility changes, offer that facility's tools (of the manager's vendor).
(function () {
  var facility = document.getElementById("id_facility");
  var list = document.getElementById("id_tools");
  if (!facility || !list) return;
  var refresh = document.getElementById("refresh-tools");
  if (refresh) refresh.hidden = true;  // the button is the no-JavaScript fallback
  facility.addEventListener("change", function () {
    var id = facility.value;
    list.textContent = "";
    if (!id) return;
    fetch("/api/v1/tools/?page_size=200&facility=" + encodeURIComponent(id), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var tools = data.results || [];
        if (!tools.length) {
          var none = document.createElement("li");
          none.textContent = "No tools of your vendor at this facility.";
          list.appendChild(none);
        }
        tools.forEach(function (t, i) {
          var li = document.createElement("li");
          var label = document.createElement("label");
          var box = document.createElement("input");
          box.type = "checkbox"; box.name = "tools"; box.value = t.id; box.id = "id_tools_" + i;
          label.htmlFor = box.id;
          label.appendChild(box);
          label.appendChild(document.createTextNode(" " + t.model + " #" + t.serial_number));
          li.appendChild(label);
          list.appendChild(li);
        });
      });
  });
})();
