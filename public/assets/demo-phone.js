// The simulated phone of demo mode: what it shows comes from /demo/api/phone, what it does goes
// to /demo/api/phone/*; the daemon drives the simulated WhatsApp Web in its own browser.
'use strict';

(function () {
  var POLL_MS = 1500;
  var $ = function (id) {
    return document.getElementById(id);
  };
  var shownMessages = '';

  // A request that never answers (the daemon restarting its browser) must not stop the polling:
  // each gets a deadline past the daemon's own worst case (a view tries twice, each up to three
  // 3 s calls; an action twice, each up to two 10 s steps), and the next poll is scheduled
  // either way.
  var POLL_DEADLINE_MS = 20000;
  var ACTION_DEADLINE_MS = 45000;

  function call(method, url, body) {
    var controller = new AbortController();
    var timer = setTimeout(
      function () {
        controller.abort();
      },
      method === 'GET' ? POLL_DEADLINE_MS : ACTION_DEADLINE_MS,
    );
    var init = { method: method, cache: 'no-store', headers: { Accept: 'application/json' }, signal: controller.signal };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    return fetch(url, init)
      .then(function (res) {
        return res
          .json()
          .catch(function () {
            return null;
          })
          .then(function (json) {
            return { ok: res.ok, status: res.status, body: json };
          });
      })
      .finally(function () {
        clearTimeout(timer);
      });
  }

  function result(ok, text) {
    var el = $('result');
    el.hidden = false;
    el.setAttribute('data-ok', ok ? 'true' : 'false');
    el.textContent = text;
  }

  function headline(view) {
    if (!view.reachable) return 'WhatsApp Web is (re)starting in the daemon…';
    if (view.paired) return 'Linked as ' + (view.account ? view.account.name + ' (+' + view.account.number + ')' : 'the bot');
    if (view.waitingFor === 'code') return 'The daemon asks for a pairing code: type the one /qr shows';
    if (view.waitingFor === 'qr') return 'The daemon shows a QR: scan it';
    return 'Not linked';
  }

  function render(view) {
    var state = !view.reachable ? 'starting' : view.paired ? 'ready' : 'qr';
    var badge = $('phone-state');
    badge.setAttribute('data-state', state);
    badge.textContent = !view.reachable ? 'offline' : view.paired ? 'linked' : 'not linked';
    $('phone-headline').textContent = headline(view);
    $('scan').disabled = !view.reachable || view.paired || view.waitingFor !== 'qr';
    $('code-enter').disabled = !view.reachable || view.paired || view.waitingFor !== 'code';
    $('send').disabled = !view.reachable || !view.paired;
    $('logout').disabled = !view.reachable || !view.paired;
    $('drop').disabled = !view.reachable || !view.paired;
    $('contact').textContent = '+' + view.contact;
    var key = JSON.stringify(view.messages);
    if (key === shownMessages) return;
    shownMessages = key;
    var list = $('messages');
    while (list.firstChild) list.removeChild(list.firstChild);
    view.messages.forEach(function (message) {
      var item = document.createElement('li');
      item.className = 'message from-' + message.from;
      item.setAttribute('data-from', message.from);
      item.textContent = message.text;
      list.appendChild(item);
    });
    list.scrollTop = list.scrollHeight;
  }

  function poll() {
    call('GET', '/demo/api/phone')
      .then(function (res) {
        if (res.ok && res.body) render(res.body);
        else if (res.body && res.body.error) result(false, res.body.error.message);
      })
      .catch(function () {
        result(false, 'Cannot reach the daemon; retrying…');
      })
      .then(function () {
        setTimeout(poll, POLL_MS);
      });
  }

  function act(button, url, body, done) {
    button.disabled = true;
    return call('POST', url, body)
      .then(function (res) {
        if (res.ok) result(true, done);
        else result(false, res.body && res.body.error ? res.body.error.message : 'The daemon answered ' + res.status + '.');
      })
      .catch(function () {
        result(false, 'Cannot reach the daemon.');
      });
  }

  function start() {
    $('scan').addEventListener('click', function () {
      act($('scan'), '/demo/api/phone/scan', undefined, 'Scanned: watch /qr go to ready.');
    });
    $('code-form').addEventListener('submit', function (event) {
      event.preventDefault();
      act($('code-enter'), '/demo/api/phone/code', { code: $('code').value }, 'Code typed: watch /qr go to ready.');
    });
    $('send-form').addEventListener('submit', function (event) {
      event.preventDefault();
      var text = $('text').value;
      if (!text.trim()) return;
      act($('send'), '/demo/api/phone/messages', { text: text }, 'Sent.').then(function () {
        $('text').value = '';
      });
    });
    $('logout').addEventListener('click', function () {
      act($('logout'), '/demo/api/phone/logout', undefined, 'Unlinked: /qr shows a fresh QR by itself.');
    });
    $('drop').addEventListener('click', function () {
      act($('drop'), '/demo/api/phone/drop', undefined, 'Connection dropped: the daemon reconnects with its saved session.');
    });
    poll();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
