// Registering or editing a resident: fill sex and birth date from a valid 18-character resident ID number as it is
// typed (GB 11643: characters 7-14 the birth date, the 17th odd for men, the last a check character). Fields the
// worker filled by hand are left alone; the server checks them against the number and derives them if empty.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-id-fill]");
  if (!form) { return; }
  var id = form.querySelector("[name=id_number]");
  var sex = form.querySelector("[name=sex]");
  var birth = form.querySelector("[name=birth_date]");
  if (!id || !sex || !birth) { return; }
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CHECK = "10X98765432";

  function parse(value) {
    var n = value.replace(/\s+/g, "").toUpperCase();
    if (!/^\d{17}[\dX]$/.test(n)) { return null; }
    var sum = 0;
    for (var i = 0; i < 17; i++) { sum += Number(n[i]) * WEIGHTS[i]; }
    if (CHECK[sum % 11] !== n[17]) { return null; }
    var y = Number(n.slice(6, 10)), m = Number(n.slice(10, 12)), d = Number(n.slice(12, 14));
    var date = new Date(Date.UTC(y, m - 1, d));
    if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) { return null; }
    return { birth: n.slice(6, 10) + "-" + n.slice(10, 12) + "-" + n.slice(12, 14), sex: Number(n[16]) % 2 === 1 ? "M" : "F" };
  }

  function fill(field, value) {
    // Only an empty field, or one this script filled before (the number was corrected), is overwritten.
    if (field.value === "" || field.dataset.filledFromId === "1") {
      field.value = value;
      field.dataset.filledFromId = "1";
    }
  }

  function update() {
    var info = parse(id.value);
    if (!info) { return; }
    fill(sex, info.sex);
    fill(birth, info.birth);
  }

  [sex, birth].forEach(function (field) {
    field.addEventListener("change", function () { field.dataset.filledFromId = ""; });
  });
  id.addEventListener("input", update);
  id.addEventListener("change", update);
  update();
});
