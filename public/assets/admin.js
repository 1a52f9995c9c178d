// The admin page of wa-tether: live session state over Server-Sent Events (/api/events),
// falling back to polling /api/session/status when the stream is unavailable.
// A file of its own because the page's CSP forbids inline scripts.
'use strict';

(function () {
  var POLL_MS = 3000;
  /** The outbox and webhook counts are refreshed by the daemon every 5 s. */
  var TRAFFIC_MS = 5000;
  /** While polling, how often to try the event stream again. */
  var SSE_RETRY_MS = 30000;

  var STATES = {
    starting: { headline: 'Starting WhatsApp Web…', since: 'Starting since', art: 'wait' },
    qr: { headline: 'Scan the QR to pair', since: 'Waiting since', art: 'none' },
    authenticated: { headline: 'Phone accepted, syncing…', since: 'Syncing since', art: 'wait' },
    ready: { headline: 'Connected', since: 'Connected since', art: 'ok' },
    reconnecting: { headline: 'Reconnecting…', since: 'Disconnected since', art: 'wait' },
    logged_out: { headline: 'Logged out', since: 'Logged out since', art: 'wait' },
    failed: { headline: 'Gave up reconnecting', since: 'Failed since', art: 'bad' },
    stopping: { headline: 'Shutting down', since: 'Stopping since', art: 'wait' },
  };

  var $ = function (id) {
    return document.getElementById(id);
  };

  var snapshot = null;
  var disk = null;
  var qrShownFor = null;
  var codeShownFor = null;
  var codeRequest = null;
  var events = null;
  var polling = false;
  var pollTimer = null;
  var sseRetryTimer = null;
  var diskRequest = null;
  var traffic = null;

  // ---- formatting -------------------------------------------------------

  function describeAccount(me) {
    return me.name ? me.name + ' (+' + me.id + ')' : '+' + me.id;
  }

  function relative(iso) {
    var seconds = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
    var abs = Math.abs(seconds);
    var text;
    if (abs < 5) return 'just now';
    if (abs < 60) text = abs + ' s';
    else if (abs < 3600) text = Math.round(abs / 60) + ' min';
    else if (abs < 86400) text = Math.round(abs / 3600) + ' h';
    else text = Math.round(abs / 86400) + ' d';
    return seconds < 0 ? text + ' ago' : 'in ' + text;
  }

  function when(iso) {
    var date = new Date(iso);
    var sameDay = date.toDateString() === new Date().toDateString();
    var clock = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    var stamp = sameDay ? clock : date.toLocaleDateString() + ' ' + clock;
    return stamp + ' (' + relative(iso) + ')';
  }

  function bytes(n) {
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(1) + ' kB';
    if (n < 1073741824) return (n / 1048576).toFixed(1) + ' MB';
    return (n / 1073741824).toFixed(2) + ' GB';
  }

  function setText(id, text) {
    var el = $(id);
    if (el.textContent !== text) el.textContent = text;
  }

  // ---- rendering --------------------------------------------------------

  function renderQr(s) {
    var section = $('qr-section');
    var img = $('qr-img');
    if (!s.hasQr || !s.qrIssuedAt) {
      section.hidden = true;
      qrShownFor = null;
      img.removeAttribute('src');
      return;
    }
    section.hidden = false;
    if (qrShownFor !== s.qrIssuedAt) {
      qrShownFor = s.qrIssuedAt;
      img.src = '/api/qr.png?v=' + encodeURIComponent(s.qrIssuedAt);
    }
    setText('qr-age', 'QR issued ' + relative(s.qrIssuedAt) + '; it refreshes by itself.');
  }

  /** The code is no secret to the page's user but never travels in the event stream: ask for it. */
  function renderCode(s) {
    var section = $('code-section');
    var byCode = s.pairing && s.pairing.method === 'code';
    section.hidden = !(s.state === 'qr' && byCode);
    if (section.hidden) {
      codeShownFor = null;
      return;
    }
    setText('code-number', s.pairing.phoneNumber ? '+' + s.pairing.phoneNumber : 'the account');
    var waitUntil = s.pairing.retryAt && new Date(s.pairing.retryAt).getTime() > Date.now() ? s.pairing.retryAt : null;
    $('code-new').disabled = Boolean(waitUntil);
    $('code-new').textContent = waitUntil ? 'New code ' + relative(waitUntil) : 'New code';
    if (!s.hasCode) {
      codeShownFor = null;
      setText('code-value', '–');
      setText('code-age', waitUntil ? 'WhatsApp asked us to wait; the next code comes ' + relative(waitUntil) + '.' : 'No code on show right now.');
      return;
    }
    setText('code-age', 'Valid until ' + when(s.codeExpiresAt) + '; a new one follows by itself.');
    if (codeShownFor === s.codeExpiresAt || codeRequest) return;
    codeRequest = getJson('/api/qr')
      .then(function (result) {
        if (result.ok && result.body && result.body.code) {
          codeShownFor = s.codeExpiresAt;
          setText('code-value', result.body.code.slice(0, 4) + '-' + result.body.code.slice(4));
        }
      })
      .catch(function () {
        return null;
      })
      .then(function () {
        codeRequest = null;
      });
  }

  function pairingResult(ok, text) {
    var result = $('pairing-result');
    result.hidden = false;
    result.setAttribute('data-ok', ok ? 'true' : 'false');
    result.textContent = text;
  }

  function changePairing(method, phoneNumber) {
    var init = { method: method };
    if (phoneNumber !== undefined) {
      init.headers = { Accept: 'application/json', 'Content-Type': 'application/json' };
      init.body = JSON.stringify({ phoneNumber: phoneNumber });
    }
    return getJson('/api/session/pairing-code', init)
      .then(function (result) {
        if (result.ok && result.body) pairingResult(true, result.body.message);
        else pairingResult(false, explainFailure(result));
      })
      .catch(function () {
        pairingResult(false, 'Cannot reach the daemon.');
      });
  }

  function renderMe(s) {
    if (s.me && s.state === 'ready') return 'connected as ' + describeAccount(s.me);
    if (s.me) return 'last paired as ' + describeAccount(s.me);
    return 'Not paired yet';
  }

  function renderReconnect(s) {
    var row = $('reconnect-row');
    if (s.state !== 'reconnecting' && !(s.reconnectAttempt > 0 && s.state !== 'ready')) {
      row.hidden = true;
      return;
    }
    row.hidden = false;
    var text = 'attempt ' + s.reconnectAttempt;
    if (s.nextRetryAt) text += ', next try ' + relative(s.nextRetryAt);
    setText('reconnect', text);
  }

  function renderDisk() {
    if (!disk) return setText('disk', '–');
    if (!disk.exists) return setText('disk', 'none');
    var text = bytes(disk.size);
    if (disk.lastModified) text += ', changed ' + relative(disk.lastModified);
    setText('disk', text);
  }

  function ago(ms) {
    return relative(new Date(Date.now() - ms).toISOString());
  }

  function waiting(count, oldestMs) {
    return count + ' waiting' + (oldestMs === null ? '' : ' (oldest queued ' + ago(oldestMs) + ')');
  }

  function describeOutbox(outbox) {
    var parts = [];
    var pending = outbox.queued + outbox.sending;
    parts.push(pending > 0 ? waiting(pending, outbox.oldestPendingAgeMs) : 'nothing waiting');
    if (outbox.failed > 0) parts.push(outbox.failed + ' failed');
    parts.push(outbox.sent + ' sent');
    return parts.join(', ');
  }

  function describeWebhooks(setup, counts) {
    if (setup.urls === 0) return 'not set up (WEBHOOK_URL)';
    var parts = [];
    var pending = counts.pending + counts.failed;
    parts.push(pending > 0 ? waiting(pending, counts.oldestPendingAgeMs) : 'nothing waiting');
    if (counts.failed > 0) parts.push(counts.failed + ' retrying');
    if (counts.dead > 0) parts.push(counts.dead + ' dead');
    parts.push(counts.delivered + ' delivered');
    return parts.join(', ') + ' · ' + setup.urls + (setup.urls === 1 ? ' URL' : ' URLs');
  }

  function describeMedia(media) {
    var parts = [media.received + ' received kept'];
    if (media.pendingSends > 0) parts.push(media.pendingSends + ' waiting to send');
    parts.push(media.files + (media.files === 1 ? ' file, ' : ' files, ') + (media.bytes / 1048576).toFixed(1) + ' MiB');
    return parts.join(' · ');
  }

  /** Shown once the account was paired: before that nothing can be sent or received. */
  function renderTraffic(s) {
    var backlog = traffic && traffic.backlog;
    var shown = Boolean(backlog && s.me);
    $('outbox-row').hidden = !shown;
    $('webhooks-row').hidden = !shown;
    $('media-row').hidden = !(shown && backlog.media);
    var lastError = shown && traffic.webhooks && traffic.webhooks.urls > 0 ? backlog.webhooks.lastError : null;
    $('webhook-error-row').hidden = !lastError;
    if (!shown) return;
    setText('outbox', describeOutbox(backlog.outbox));
    if (backlog.media) setText('media', describeMedia(backlog.media));
    setText('webhooks', traffic.webhooks ? describeWebhooks(traffic.webhooks, backlog.webhooks) : '–');
    if (lastError) setText('webhook-error', lastError);
  }

  function render() {
    if (!snapshot) return;
    var s = snapshot;
    var meta = STATES[s.state] || { headline: s.state, since: 'Since', art: 'wait' };
    var badge = $('state');
    setText('state', s.state);
    badge.setAttribute('data-state', s.state);
    setText('headline', meta.headline);
    setText('message', s.stateMessage);
    $('expired').hidden = !s.sessionExpired;
    $('simulated').hidden = !s.simulated;
    $('art').setAttribute('data-state', s.hasQr ? 'none' : meta.art);
    renderQr(s);
    renderCode(s);
    setText('me', renderMe(s));
    setText('since-label', meta.since);
    setText('since', when(s.since));
    renderReconnect(s);
    renderDisk();
    renderTraffic(s);
    document.title = meta.headline.replace(/…$/, '') + ' · wa-tether';
  }

  function setLive(mode, text) {
    var live = $('live');
    live.setAttribute('data-mode', mode);
    setText('live', text);
  }

  function onSnapshot(next) {
    var changed = !snapshot || snapshot.state !== next.state || snapshot.qrIssuedAt !== next.qrIssuedAt;
    if (snapshot && snapshot.state !== next.state) $('pairing-result').hidden = true;
    snapshot = next;
    render();
    if (changed) refreshDisk();
  }

  // ---- data sources -----------------------------------------------------

  function getJson(url, init) {
    return fetch(url, Object.assign({ cache: 'no-store', headers: { Accept: 'application/json' } }, init)).then(function (res) {
      return res
        .json()
        .catch(function () {
          return null;
        })
        .then(function (body) {
          return { ok: res.ok, status: res.status, body: body };
        });
    });
  }

  function fromStatus(body) {
    return {
      state: body.state,
      since: body.since,
      me: body.me,
      stateMessage: body.stateMessage,
      sessionExpired: body.sessionExpired,
      hasQr: body.hasQr,
      qrIssuedAt: body.qrIssuedAt,
      pairing: body.pairing,
      hasCode: body.hasCode,
      codeExpiresAt: body.codeExpiresAt,
      simulated: body.simulated,
      reconnectAttempt: body.reconnectAttempt || 0,
      nextRetryAt: body.nextRetryAt,
    };
  }

  function explainFailure(result) {
    if (result.status === 401) return 'Not authorized: reload the page and enter ADMIN_TOKEN as the password.';
    if (result.status === 403) return 'Refused: this daemon has no ADMIN_TOKEN and answers its own host only.';
    if (result.body && result.body.error) return result.body.error.message;
    return 'The daemon answered ' + result.status + '.';
  }

  function refreshDisk() {
    if (diskRequest) return diskRequest;
    diskRequest = getJson('/api/session/status')
      .then(function (result) {
        if (!result.ok || !result.body) return null;
        disk = result.body;
        renderDisk();
        return result.body;
      })
      .catch(function () {
        return null;
      })
      .then(function (body) {
        diskRequest = null;
        return body;
      });
    return diskRequest;
  }

  // The health detail carries the counts; the admin token (or this machine) can read it.
  function pollTraffic() {
    getJson('/api/health')
      .then(function (result) {
        if (result.body && result.body.backlog !== undefined) traffic = result.body;
        render();
      })
      .catch(function () {
        return null;
      })
      .then(function () {
        setTimeout(pollTraffic, TRAFFIC_MS);
      });
  }

  function poll() {
    pollTimer = null;
    getJson('/api/session/status')
      .then(function (result) {
        if (!polling) return; // the stream came back while this request was out
        if (!result.ok || !result.body) {
          setLive('error', explainFailure(result));
          return;
        }
        disk = result.body;
        setLive('polling', 'Updating every 3 s (live stream unavailable)');
        onSnapshot(fromStatus(result.body));
      })
      .catch(function () {
        if (polling) setLive('error', 'Cannot reach the daemon; retrying…');
      })
      .then(function () {
        if (polling) pollTimer = setTimeout(poll, POLL_MS);
      });
  }

  function startPolling() {
    if (!polling) {
      polling = true;
      poll();
    }
    if (sseRetryTimer === null) {
      sseRetryTimer = setTimeout(function () {
        sseRetryTimer = null;
        connectEvents();
      }, SSE_RETRY_MS);
    }
  }

  function stopPolling() {
    polling = false;
    clearTimeout(pollTimer);
    pollTimer = null;
  }

  function connectEvents() {
    if (typeof window.EventSource !== 'function') return startPolling();
    var source = new EventSource('/api/events');
    events = source;
    source.addEventListener('state', function (event) {
      if (events !== source) return;
      stopPolling();
      setLive('live', 'Live');
      onSnapshot(JSON.parse(event.data));
    });
    source.onerror = function () {
      // Closed for good (401, 403, 503) or dropped: either way poll until the stream is back.
      source.close();
      if (events === source) events = null;
      startPolling();
    };
  }

  // ---- re-pair ----------------------------------------------------------

  function showResult(ok, text) {
    var result = $('repair-result');
    result.hidden = false;
    result.setAttribute('data-ok', ok ? 'true' : 'false');
    result.textContent = text;
  }

  function setConfirming(confirming) {
    $('repair').hidden = confirming;
    $('repair-confirm').hidden = !confirming;
    if (confirming) $('repair-yes').focus();
  }

  function repair() {
    var yes = $('repair-yes');
    var cancel = $('repair-cancel');
    yes.disabled = true;
    cancel.disabled = true;
    yes.textContent = 'Re-pairing…';
    getJson('/api/session/clear', { method: 'DELETE' })
      .then(function (result) {
        if (result.ok && result.body && result.body.success) showResult(true, result.body.message);
        else showResult(false, 'Re-pair failed: ' + explainFailure(result));
      })
      .catch(function () {
        showResult(false, 'Re-pair failed: cannot reach the daemon.');
      })
      .then(function () {
        yes.disabled = false;
        cancel.disabled = false;
        yes.textContent = 'Yes, log out and re-pair';
        setConfirming(false);
        refreshDisk();
      });
  }

  function start() {
    $('repair').addEventListener('click', function () {
      $('repair-result').hidden = true;
      setConfirming(true);
    });
    $('repair-cancel').addEventListener('click', function () {
      setConfirming(false);
    });
    $('repair-yes').addEventListener('click', repair);
    $('code-form').addEventListener('submit', function (event) {
      event.preventDefault();
      changePairing('POST', $('code-phone').value);
    });
    $('code-new').addEventListener('click', function () {
      if (snapshot && snapshot.pairing && snapshot.pairing.phoneNumber) changePairing('POST', snapshot.pairing.phoneNumber);
    });
    $('code-use-qr').addEventListener('click', function () {
      changePairing('DELETE');
    });
    $('qr-img').addEventListener('error', function () {
      // Most likely the QR was replaced or consumed between the event and the request.
      setText('qr-age', 'This QR is no longer valid; waiting for the next one…');
    });
    // Relative times ("5 s ago", "next try in 4 s") stay current between events.
    setInterval(render, 1000);
    connectEvents();
    pollTraffic();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
