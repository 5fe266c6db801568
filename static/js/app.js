// Behaviour for every page, attached here because the Content-Security-Policy forbids inline
// event handlers (common/middleware.py):
//   <select data-autosubmit>  submits its form when the choice changes (language, filters);
//   <form data-confirm="…">    asks the question before it is sent (deletions).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("select[data-autosubmit]") && field.form) {
    field.form.submit();
  }
});
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
