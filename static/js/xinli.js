// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("change", function (event) {
  if (event.target.matches("[data-autosubmit]")) {
    event.target.form.submit();
  }
});

// A table wider than the screen scrolls inside its box (.table-box, see xinli.css); such a box takes the keyboard
// focus so it can be scrolled without a mouse or a finger (WCAG 2.1.1). Boxes that fit stay out of the tab order.
function markScrollingTables() {
  document.querySelectorAll(".table-box").forEach(function (box) {
    if (box.scrollWidth > box.clientWidth + 1) {
      box.setAttribute("tabindex", "0");
    } else {
      box.removeAttribute("tabindex");
    }
  });
}
document.addEventListener("DOMContentLoaded", markScrollingTables);
window.addEventListener("resize", markScrollingTables);
document.addEventListener("htmx:afterSettle", markScrollingTables);
