// Reporter pages with JavaScript on: everything is encrypted here, in the browser.
// The server receives ciphertext, the receipt's lookup tag and per-handler grants; it never
// sees the report, the messages, the files or the receipt.

import { initFollowup } from './reporter/followup.js';
import { initReceiptPage, initReportForm } from './reporter/report.js';

initReportForm();
initFollowup();
initReceiptPage();
