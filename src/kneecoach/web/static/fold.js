// Long forms on a phone (issue 23): the intake opens with only its first section unfolded, so it is
// not eleven screens long; a section holding an error or an alert stays open. Without JavaScript, or
// on a wider screen, every section stays open. Folded sections are still part of the form: every
// answer is posted, and the server re-renders all of them when one needs fixing.
(function () {
  "use strict";
  if (!window.matchMedia || !window.matchMedia("(max-width: 600px)").matches) return;
  var sections = document.querySelectorAll("details.fold");
  var anyError = document.querySelector("details.fold .has-error, details.fold [role=alert]") !== null;
  sections.forEach(function (d, i) {
    var keep = d.querySelector(".has-error, [role=alert]") !== null || (i === 0 && !anyError);
    d.open = keep;
  });
})();
