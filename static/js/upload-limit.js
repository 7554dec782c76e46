// A file input with data-max-bytes refuses a larger file before it is sent, with a message beside
// the field (the server refuses it too; this spares the upload and the site's size limit page).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var max = parseInt(input.dataset.maxBytes, 10);
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      var message = file && file.size > max
        ? "The file is larger than " + Math.floor(max / 1024) + " KiB: split it."
        : "";
      input.setCustomValidity(message);
      if (message) { input.reportValidity(); }
    });
  });
});
