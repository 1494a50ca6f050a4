// The scripted player shared by the scenario pages: installs Adobe's base code and loads alloy.js,
// configures alloy the way the pages need it offline, keeps a content playhead that advances
// while content plays (virtual time), runs a page's steps at given seconds, and writes what
// happened into <pre id="result"> for Chromium's --dump-dom.
/* global alloy */
// Adobe's base code, as a page pastes it: queues alloy() commands until alloy.js has loaded.
!function(n,o){o.forEach(function(o){n[o]||((n.__alloyNS=n.__alloyNS||[]).push(o),n[o]=function(){var u=arguments;return new Promise(function(i,l){n[o].q.push([i,l,u])})},n[o].q=[])})}(window,["alloy"]);
(function () {
  "use strict";
  const sdk = document.createElement("script");
  sdk.src = "/alloy.js";
  sdk.async = true;
  document.head.appendChild(sdk);
  const results = [];      // one entry per alloy command the page issued
  const sessionIds = [];   // what session starts resolved with (createMediaSession, trackSessionStart)

  function configure(streamingMedia) {
    return alloy("configure", {
      datastreamId: "8a5b0c3e-1d2f-4a6b-9c7d-0e1f2a3b4c5d",
      orgId: "5BFE274A5F6980A50A495C08@AdobeOrg",
      edgeDomain: "edge.test",
      thirdPartyCookiesEnabled: false,   // else the first interact goes to adobedc.demdex.net
      clickCollectionEnabled: false,
      streamingMedia: Object.assign({
        channel: "playhead-realclient", playerName: "playhead-html5", appVersion: "1.0.0",
        mainPingInterval: 10, adPingInterval: 1,
      }, streamingMedia || {}),
    });
  }

  // Content playhead in seconds: advances with (virtual) time only while content plays.
  const clock = {
    base: 0, since: null,
    run() { if (this.since === null) this.since = performance.now(); },
    hold() { if (this.since !== null) { this.base += (performance.now() - this.since) / 1000; this.since = null; } },
    now() { return this.base + (this.since === null ? 0 : (performance.now() - this.since) / 1000); },
  };

  function record(label, promise) {
    const entry = { command: label, status: "pending" };
    results.push(entry);
    return Promise.resolve(promise).then(
      (value) => {
        entry.status = "ok";
        if (value && typeof value.sessionId === "string") sessionIds.push(value.sessionId);
        return value;
      },
      (error) => { entry.status = "rejected"; entry.message = String(error && error.message || error); },
    );
  }

  // The current API: createMediaSession / sendMediaEvent with a playerId (automatic mode).
  function mediaPlayer(playerId, qoe) {
    const details = () => {
      const d = { playhead: clock.now() };
      if (qoe) d.qoeDataDetails = qoe();
      return d;
    };
    return {
      start(sessionDetails, extra) {
        const xdm = { mediaCollection: Object.assign({ sessionDetails }, extra || {}) };
        return record("createMediaSession", alloy("createMediaSession", { playerId, getPlayerDetails: details, xdm }));
      },
      send(type, mediaCollection) {
        const xdm = { eventType: "media." + type, mediaCollection: mediaCollection || {} };
        return record(type, alloy("sendMediaEvent", { playerId, xdm }));
      },
    };
  }

  const sleepUntil = (origin, seconds) => new Promise((resolve) => {
    setTimeout(resolve, Math.max(0, origin + seconds * 1000 - performance.now()));
  });

  // steps: [[seconds, async function], ...] run in order, each awaited. The first runs at once;
  // the others' seconds count from the end of the first, once alloy has loaded and the session
  // has started: how long that takes varies from run to run, and alloy times its pings from
  // its last answer, so counting from there keeps the number of pings between steps exact.
  async function run(steps) {
    try {
      const [[, first], ...rest] = steps;
      await first();
      const origin = performance.now();
      for (const [at, step] of rest) {
        await sleepUntil(origin, at);
        await step();
      }
    } catch (error) {
      results.push({ command: "page", status: "threw", message: String(error && error.stack || error) });
    }
    const out = document.createElement("pre");
    out.id = "result";
    out.textContent = JSON.stringify({ done: true, sessionIds, commands: results });
    document.body.appendChild(out);
  }

  window.scenario = { configure, clock, mediaPlayer, record, run };
})();
