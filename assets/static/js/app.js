// Aidants Connect's only script besides htmx. Both are loaded with `defer`, htmx first,
// so this runs after htmx is defined and before it processes the page. Pages that use no
// htmx (the login steps) load this file alone: see the end.
// Every page works without JavaScript: this only makes htmx behave for our CSP and
// server conventions, moves focus after swaps, and submits data-autosubmit forms.
(function () {
  'use strict';

  var htmx = window.htmx;

  // Applied now, before htmx processes the page (it reads includeIndicatorStyles then),
  // and again once htmx has merged any <meta name="htmx-config">, so this file is the
  // one place where the configuration lives.
  function configure() {
    Object.assign(htmx.config, {
      responseHandling: [
        { code: '204', swap: false },
        { code: '[23]..', swap: true },
        // Validation failure: the re-rendered form, swapped like a success.
        { code: '422', swap: true },
        // Other errors: the server's error fragment (retargeted below).
        { code: '[45]..', swap: true, error: true }
      ],
      // No page snapshots in sessionStorage (they would hold personal data), and Back
      // reloads the real page instead of showing a half-restored one.
      historyCacheSize: 0,
      refreshOnHistoryMiss: true,
      historyRestoreAsHxRequest: false,
      // CSP: default-src 'self', no 'unsafe-inline', no 'unsafe-eval'.
      includeIndicatorStyles: false,
      allowEval: false,
      allowScriptTags: false,
      selfRequestsOnly: true
    });
  }

  if (htmx) {
    configure();
    document.addEventListener('DOMContentLoaded', configure);

    // An error fragment goes into the layout's #ac-error region, unless the server chose
    // a target (HX-Retarget). A boosted navigation or form that fails keeps its target,
    // the body, and shows the server's full error page, as without JavaScript (htmx has
    // pushed its URL anyway). This is not a responseHandling `target`: htmx throws when
    // that element is missing, and it cannot spare boosted requests.
    document.addEventListener('htmx:beforeSwap', function (event) {
      var detail = event.detail;
      var status = detail.xhr.status;
      if (status < 400 || status === 422 || detail.boosted || detail.xhr.getResponseHeader('HX-Retarget')) return;
      var region = document.getElementById('ac-error');
      if (!region) return;
      detail.target = region;
      detail.swapOverride = 'innerHTML';
      detail.selectOverride = 'unset';
    });

    // No answer at all (offline, dropped link): show the layout's prepared message.
    var showNetworkError = function () {
      var region = document.getElementById('ac-error');
      var message = document.getElementById('ac-error-network');
      if (!region || !message || !message.content) return;
      region.replaceChildren(message.content.cloneNode(true));
      focusFirst([region]);
    };
    document.addEventListener('htmx:sendError', showNetworkError);
    document.addEventListener('htmx:timeout', showNetworkError);

    // A request that succeeds clears the region: the error it showed is over (a live search
    // typed again). A new error then fills it again, and role=alert announces it anew.
    document.addEventListener('htmx:afterRequest', function (event) {
      var region = document.getElementById('ac-error');
      if (!region || !event.detail.successful || region.contains(event.detail.target)) return;
      if (region.hasChildNodes()) region.replaceChildren();
    });
  }

  // Focus after a swap, so that screen-reader users land where the page changed:
  // an error summary first, else an element marked data-focus, else the new h1
  // (unless htmx already put focus inside the new content, e.g. on [autofocus]).
  var settled = [];

  document.addEventListener('htmx:afterSettle', function (event) {
    settled.push(event.target);
    if (settled.length === 1) setTimeout(focusSettled, 0);
  });

  function focusSettled() {
    var roots = settled.filter(function (el) { return el.isConnected; });
    settled = [];
    if (find(roots, '.fr-alert--error[tabindex="-1"]') || find(roots, '[data-focus]')) {
      focusFirst(roots);
      return;
    }
    var active = document.activeElement;
    var focusInside = active && active !== document.body && roots.some(function (r) { return r.contains(active); });
    var h1 = find(roots, 'h1');
    if (h1 && !focusInside) focus(h1);
  }

  function focusFirst(roots) {
    var el = find(roots, '.fr-alert--error[tabindex="-1"]') || find(roots, '[data-focus]') || find(roots, 'h1');
    if (el) focus(el);
  }

  function find(roots, selector) {
    for (var i = 0; i < roots.length; i++) {
      var root = roots[i];
      if (root.matches && root.matches(selector)) return root;
      var el = root.querySelector && root.querySelector(selector);
      if (el) return el;
    }
    return null;
  }

  function focus(el) {
    if (el.tabIndex < 0 && !el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
    el.focus();
  }

  // <form data-autosubmit="3000"> submits itself after 3000 ms (through htmx when it
  // carries hx-*); it keeps a visible submit button for JavaScript-off users.
  var scheduled = new WeakSet();

  function scheduleAutosubmit(root) {
    var forms = [];
    if (root.matches && root.matches('form[data-autosubmit]')) forms.push(root);
    if (root.querySelectorAll) forms.push.apply(forms, root.querySelectorAll('form[data-autosubmit]'));
    forms.forEach(function (form) {
      var delay = parseInt(form.getAttribute('data-autosubmit'), 10);
      if (scheduled.has(form) || !(delay >= 0)) return;
      scheduled.add(form);
      setTimeout(function () {
        if (!form.isConnected) return;
        if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      }, delay);
    });
  }

  // <div aria-live="polite" data-live-for="box-id"> holds a message that applies while the
  // box is ticked (the argent warning). Without JavaScript the message is in the page and CSS
  // shows it; with it, the region is emptied and filled as the box changes, so screen readers
  // announce the message when it appears.
  var live = new WeakSet();

  function setUpLiveRegions(root) {
    var regions = [];
    if (root.matches && root.matches('[data-live-for]')) regions.push(root);
    if (root.querySelectorAll) regions.push.apply(regions, root.querySelectorAll('[data-live-for]'));
    regions.forEach(function (region) {
      var box = document.getElementById(region.getAttribute('data-live-for'));
      if (live.has(region) || !box) return;
      live.add(region);
      var message = Array.prototype.map.call(region.childNodes, function (n) { return n.cloneNode(true); });
      var sync = function () {
        if (!box.checked) region.replaceChildren();
        else if (!region.hasChildNodes()) region.replaceChildren.apply(region, message.map(function (n) { return n.cloneNode(true); }));
      };
      box.addEventListener('change', sync);
      sync();
    });
  }

  // The activity warning (WCAG 2.2.1): the layout's dialog#ac-activity says how many seconds
  // are left before the activity check (data-activity-left) and how long before it to warn
  // (data-activity-warn). The server refreshes the figure on every answer (X-Activity-Left,
  // copied onto the dialog after htmx requests; a new page brings a new dialog): each change
  // reschedules. « Rester connecté » posts to the server, which records activity while the
  // session is still fresh; once past the deadline the dialog says so and the next action
  // asks for the code (what it sends is kept, and sent again after the code).
  var activity = { warn: null, over: null, opener: null, watched: new WeakSet() };

  function scheduleActivity(dialog) {
    clearTimeout(activity.warn);
    clearTimeout(activity.over);
    if (!dialog || !dialog.isConnected) return;
    var left = parseInt(dialog.getAttribute('data-activity-left'), 10);
    var lead = parseInt(dialog.getAttribute('data-activity-warn'), 10);
    if (!(left >= 0) || !(lead >= 0)) return;
    if (left === 0) { activityOver(dialog); return; }
    activityState(dialog, false);
    if (dialog.open && left > lead) closeActivity(dialog);
    activity.warn = setTimeout(function () { openActivity(dialog); }, Math.max(0, left - lead) * 1000);
    activity.over = setTimeout(function () { activityOver(dialog); }, left * 1000);
  }

  function activityState(dialog, over) {
    dialog.querySelectorAll('[data-activity-soon]').forEach(function (el) { el.hidden = over; });
    dialog.querySelectorAll('[data-activity-over]').forEach(function (el) { el.hidden = !over; });
    var extend = dialog.querySelector('[data-activity-extend]');
    if (extend) extend.closest('li').hidden = over;
  }

  function activityOver(dialog) {
    clearTimeout(activity.warn);
    clearTimeout(activity.over);
    activityState(dialog, true);
    if (dialog.open) focus(dialog.querySelector('[data-activity-close]'));
  }

  function openActivity(dialog) {
    if (!dialog.isConnected || dialog.open) return;
    activity.opener = document.activeElement;
    if (dialog.showModal) dialog.showModal();
    else dialog.setAttribute('open', '');
    dialog.classList.add('fr-modal--opened');
    var first = dialog.querySelector('[data-activity-extend]');
    focus(first && !first.closest('li').hidden ? first : dialog.querySelector('[data-activity-close]'));
  }

  function closeActivity(dialog) {
    if (!dialog.open) return;
    dialog.classList.remove('fr-modal--opened');
    if (dialog.close) dialog.close();
    else dialog.removeAttribute('open');
    var back = activity.opener;
    activity.opener = null;
    if (back && back.isConnected && back.focus) back.focus();
  }

  function extendActivity(dialog, button) {
    var token = '';
    try { token = JSON.parse(document.body.getAttribute('hx-headers') || '{}')['X-CSRF-Token'] || ''; } catch (e) { /* no token: the server refuses */ }
    button.disabled = true;
    fetch(button.getAttribute('data-activity-extend'), {
      method: 'POST', credentials: 'same-origin', redirect: 'manual',
      headers: { 'X-CSRF-Token': token }
    }).then(function (res) {
      var left = res.ok ? res.headers.get('X-Activity-Left') : null;
      if (left && parseInt(left, 10) > 0) {
        closeActivity(dialog);
        dialog.setAttribute('data-activity-left', left);
      } else {
        activityOver(dialog);
      }
    }, function () {
      activityOver(dialog);
    }).then(function () { button.disabled = false; });
  }

  function setUpActivity(root) {
    var dialog = root.id === 'ac-activity' ? root : root.querySelector && root.querySelector('#ac-activity');
    if (!dialog || activity.watched.has(dialog)) return;
    activity.watched.add(dialog);
    new MutationObserver(function () { scheduleActivity(dialog); })
      .observe(dialog, { attributes: true, attributeFilter: ['data-activity-left'] });
    dialog.addEventListener('cancel', function (event) { // Escape
      event.preventDefault();
      closeActivity(dialog);
    });
    dialog.addEventListener('click', function (event) {
      var extend = event.target.closest('[data-activity-extend]');
      if (extend) extendActivity(dialog, extend);
      else if (event.target.closest('[data-activity-close]')) closeActivity(dialog);
    });
    scheduleActivity(dialog);
  }

  // Any answer to a signed-in aidant carries the seconds left: the warning follows it.
  document.addEventListener('htmx:afterRequest', function (event) {
    var left = event.detail.xhr && event.detail.xhr.getResponseHeader('X-Activity-Left');
    var dialog = document.getElementById('ac-activity');
    if (left !== null && left !== undefined && dialog) dialog.setAttribute('data-activity-left', left);
  });

  function onLoad(root) {
    scheduleAutosubmit(root);
    setUpLiveRegions(root);
    setUpActivity(root);
  }

  if (htmx) {
    htmx.onLoad(onLoad); // the page, then every piece of swapped content
  } else {
    // A page that loads no htmx (layout.AppOnly: the login steps) is a plain page, and
    // app.js does there what htmx and the code above do on the others.
    document.addEventListener('DOMContentLoaded', function () {
      onLoad(document.body);
      // The form came back with errors: focus on its summary, as after a swap.
      var summary = document.querySelector('.fr-alert--error[tabindex="-1"][data-focus]');
      if (summary) focus(summary);
    });
    // hx-disabled-elt: the submit button is disabled once the form is sent, so that a second
    // click on a slow link sends nothing more. After the submission has started (disabled
    // now, the button would leave the request); a page shown again by Back gets it back.
    document.addEventListener('submit', function (event) {
      var form = event.target;
      if (event.defaultPrevented || !form.hasAttribute || !form.hasAttribute('hx-disabled-elt')) return;
      var buttons = form.querySelectorAll('button[type=submit]');
      setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
    });
    window.addEventListener('pageshow', function (event) {
      if (!event.persisted) return;
      document.querySelectorAll('form[hx-disabled-elt] button[type=submit]').forEach(function (b) { b.disabled = false; });
    });
  }
})();
