// Yunqiao console: copy buttons, the brand's default API base and the app form's homepage fields.
// Loaded with `defer`; the CSP allows no inline scripts, so every behaviour is wired here.
(function () {
  'use strict';

  // Copy buttons: <button data-copy="element-id" data-copied="已复制">.
  function showCopied(button) {
    var label = button.textContent;
    button.textContent = button.getAttribute('data-copied') || 'Copied';
    button.classList.add('copied');
    window.setTimeout(function () { button.textContent = label; button.classList.remove('copied'); }, 1500);
  }

  function selectAndCopy(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try { return document.execCommand('copy'); } catch (e) { return false; }
  }

  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    button.addEventListener('click', function () {
      var target = document.getElementById(button.getAttribute('data-copy'));
      if (!target) { return; }
      var text = target.textContent.trim();
      var fallback = function () { selectAndCopy(target); showCopied(button); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { showCopied(button); }, fallback);
      } else {
        fallback();
      }
    });
  });

  // Enterprise form: the API base follows the brand unless the admin typed another one.
  var brand = document.getElementById('brand');
  var baseURL = document.getElementById('baseURL');
  if (brand && baseURL) {
    brand.addEventListener('change', function () {
      var option = brand.options[brand.selectedIndex];
      var chosen = option ? option.getAttribute('data-default') : '';
      var defaults = Array.prototype.map.call(brand.options, function (o) { return o.getAttribute('data-default'); });
      baseURL.placeholder = chosen;
      if (defaults.indexOf(baseURL.value.trim()) >= 0) { baseURL.value = chosen; }
    });
  }

  // App form: show the homepage field of the chosen kind.
  var kind = document.getElementById('homepageKind');
  if (kind) {
    var update = function () {
      document.querySelectorAll('[data-homepage-kind]').forEach(function (row) {
        row.hidden = row.getAttribute('data-homepage-kind') !== kind.value;
      });
    };
    kind.addEventListener('change', update);
    update();
  }
})();
