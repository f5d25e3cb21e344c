// Routing inside the page: #/cases, #/case/<id> and #/password.

import { openCase } from './case.js';
import { loadList } from './list.js';
import { clearMessages, errorText, show, showError, state } from './state.js';

export function route() {
  if (!state.priv) return;
  clearMessages();
  if (state.me?.is_admin) {
    show('view-admin');
    return;
  }
  const hash = location.hash || '#/cases';
  const match = /^#\/case\/([A-Za-z0-9-]{1,32})$/.exec(hash);
  const failed = (error) => showError(errorText(error));
  if (match) {
    openCase(match[1]).catch(failed);
  } else if (hash === '#/password') {
    show('view-password');
  } else {
    state.pages = [null];
    loadList().catch(failed);
  }
}
