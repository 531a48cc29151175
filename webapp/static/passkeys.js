// Passkeys (webapp.passkey_pages): the profile's "Add a passkey" and the login pages' "Sign in with a passkey" /
// "Use a passkey". Each asks the server for options (a POST: it stores a single-use challenge), hands them to the
// browser's WebAuthn (navigator.credentials), and posts the credential back as JSON. Everything cryptographic is the
// browser's and the server's (py_webauthn); this file only carries JSON between them.
(function () {
  "use strict";
  var token = (document.querySelector("meta[name=csrf-token]") || {}).content;

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || response.statusText);
        return data;
      });
    });
  }
  function show(box, text) {
    if (!box) return;
    box.textContent = text || ""; box.hidden = !text;
  }
  function failed(box, error) {
    // The browser's own refusals (cancelled, timed out) say so in its language; the server's are translated.
    show(box, error && error.message ? error.message : String(error));
  }
  var supported = !!(window.PublicKeyCredential && PublicKeyCredential.parseCreationOptionsFromJSON);

  var add = document.getElementById("passkey-add");
  var section = document.getElementById("passkeys");
  if (add && section) {
    add.addEventListener("submit", function (event) {
      event.preventDefault();
      var box = document.getElementById("passkey-error");
      if (!supported) { show(box, add.dataset.unsupported); return; }
      show(box, "");
      var name = add.querySelector("[name=name]").value;
      post(section.dataset.options).then(function (options) {
        return navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
      }).then(function (credential) {
        return post(section.dataset.answer, { name: name, credential: credential.toJSON() });
      }).then(function (data) { window.location.assign(data.redirect); }, function (error) { failed(box, error); });
    });
  }

  var signIn = document.getElementById("passkey-sign-in");
  if (signIn) {
    signIn.querySelector("[data-passkey-sign-in]").addEventListener("click", function () {
      var box = document.getElementById("passkey-error");
      show(box, "");
      if (!supported) { show(box, signIn.dataset.unsupported); return; }
      var step = signIn.dataset.step || "";
      post(signIn.dataset.options, { step: step }).then(function (options) {
        return navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
      }).then(function (credential) {
        return post(signIn.dataset.answer, { step: step, credential: credential.toJSON(), next: signIn.dataset.next || "" });
      }).then(function (data) { window.location.assign(data.redirect); }, function (error) { failed(box, error); });
    });
  }
})();
