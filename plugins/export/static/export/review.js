// A section's box ticks or unticks all its items; unticked items are struck through.
document.querySelectorAll('.export-section').forEach(function (section) {
  var box = section.querySelector('.export-section-box');
  var items = section.querySelectorAll('.export-item-box');
  function mark(item) { item.closest('tr').classList.toggle('export-left-out', !item.checked); }
  box.addEventListener('change', function () {
    items.forEach(function (item) { item.checked = box.checked; mark(item); });
  });
  items.forEach(function (item) { item.addEventListener('change', function () { mark(item); }); });
});
  
