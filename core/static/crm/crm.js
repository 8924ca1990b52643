// Behaviour the pages need without inline handlers (the Content-Security-Policy forbids
// them): confirmations, bulk actions and links that only open a menu.
(function () {
  'use strict';

  // <form data-crm-confirm="Question?">: submitted only when the user confirms.
  document.addEventListener('submit', function (event) {
    var question = event.target.getAttribute('data-crm-confirm');
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  document.addEventListener('click', function (event) {
    var link = event.target.closest('a');
    if (!link) {
      return;
    }
    var href = link.getAttribute('href') || '';
    // menu toggles and placeholders ("#", Flask-Admin's "javascript:void(0)") never navigate
    if (href === '#' || href.indexOf('javascript:') === 0) {
      event.preventDefault();
    }
    // <a data-crm-action="delete">: Flask-Admin's bulk action on the ticked rows
    var action = link.getAttribute('data-crm-action');
    if (action && window.modelActions) {
      window.modelActions.execute(action);
    }
  }, true);
})();
