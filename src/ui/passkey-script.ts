/**
 * GET /assets/passkey.js — the one script of the hosted pages (SPEC §12): it runs the WebAuthn
 * ceremonies the server cannot, and nothing else. The pages work without it (password, email code,
 * TOTP); the passkey controls are `hidden` until it shows them. Options come from a same-origin POST
 * carrying the page's CSRF token; the credential goes back in the page's own form, as an ordinary
 * form POST, so the server answers with the same redirects and pages as for a password.
 *
 * - Login page: `#passkey[data-options][data-action]` inside the sign-in form. "Sign in with a
 *   passkey" asks with a modal `navigator.credentials.get()`; conditional UI (autofill on the field
 *   marked `autocomplete="username webauthn"`) starts at load when the browser offers it.
 * - Account page: `#passkey-register[data-options]` inside the registration form.
 */
export const PASSKEY_JS = `'use strict';
(function () {
  var PKC = window.PublicKeyCredential;
  if (!PKC || !PKC.parseRequestOptionsFromJSON || !PKC.parseCreationOptionsFromJSON || !navigator.credentials) return;

  function fetchOptions(url, form) {
    var body = new URLSearchParams({ csrf: form.querySelector('input[name=csrf]').value });
    return fetch(url, { method: 'POST', body: body, credentials: 'same-origin' }).then(function (response) {
      if (!response.ok) throw new Error('options refused: ' + response.status);
      return response.json();
    }).then(function (answer) { return answer.options; });
  }

  function send(form, action, credential) {
    form.querySelector('input[name=credential]').value = JSON.stringify(credential.toJSON());
    if (action) form.action = action;
    form.submit();
  }

  function say(status, message) {
    status.textContent = message;
    status.hidden = false;
  }

  var signIn = document.getElementById('passkey');
  if (signIn) {
    var loginForm = signIn.closest('form');
    var status = document.getElementById('passkey-status');
    var autofill = null;
    signIn.hidden = false;
    document.getElementById('passkey-button').addEventListener('click', function () {
      if (autofill) autofill.abort();
      status.hidden = true;
      fetchOptions(signIn.dataset.options, loginForm).then(function (options) {
        return navigator.credentials.get({ publicKey: PKC.parseRequestOptionsFromJSON(options) });
      }).then(function (credential) {
        send(loginForm, signIn.dataset.action, credential);
      }).catch(function () {
        say(status, 'The passkey sign-in did not finish. Try again, or sign in another way.');
      });
    });
    if (PKC.isConditionalMediationAvailable) {
      PKC.isConditionalMediationAvailable().then(function (isAvailable) {
        if (!isAvailable) return;
        autofill = new AbortController();
        var signal = autofill.signal;
        document.documentElement.dataset.passkeyAutofill = 'started';
        return fetchOptions(signIn.dataset.options, loginForm).then(function (options) {
          return navigator.credentials.get({ mediation: 'conditional', publicKey: PKC.parseRequestOptionsFromJSON(options), signal: signal });
        }).then(function (credential) {
          if (credential) send(loginForm, signIn.dataset.action, credential);
        });
      }).catch(function () { /* dismissed or replaced by the button: the other ways stay */ });
    }
  }

  var register = document.getElementById('passkey-register');
  if (register) {
    var registerForm = register.closest('form');
    var registerStatus = document.getElementById('passkey-register-status');
    register.hidden = false;
    document.getElementById('passkey-register-button').addEventListener('click', function () {
      registerStatus.hidden = true;
      fetchOptions(register.dataset.options, registerForm).then(function (options) {
        return navigator.credentials.create({ publicKey: PKC.parseCreationOptionsFromJSON(options) });
      }).then(function (credential) {
        send(registerForm, null, credential);
      }).catch(function () {
        say(registerStatus, 'The passkey was not created. Try again.');
      });
    });
  }
})();
`;
