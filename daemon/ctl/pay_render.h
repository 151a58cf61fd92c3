/* pay_render.h - a stored payment batch as the files sent to the bank.
 *
 * Owns: the CSV and the ISO 20022 pain.001.001.03 (CustomerCreditTransfer
 *   Initiation V03) renderings of a PaymentBatch, and their file names.
 * Runs in: klaimctl and unit tests; pure (no I/O, no clock, no locale):
 *   every byte comes from the batch, so the same stored batch always
 *   renders to the same bytes (docs/money.md §6).
 * Money is integer Rupiah throughout; the XML's decimal amounts are the
 *   integer followed by ".00", never a floating point value.
 */
#ifndef KLAIM_PAY_RENDER_H
#define KLAIM_PAY_RENDER_H
#include <stddef.h>
#include <stdint.h>

#include "klaim.pb-c.h"

/* The debtor and initiating party of every batch: the benefit account of
 * BPJS Ketenagakerjaan at its bank, named by a fixed identifier the bank
 * maps to the account (klaimd holds no debtor account number). */
#define PAY_DEBTOR_NAME "BPJS Ketenagakerjaan"
#define PAY_DEBTOR_ACCOUNT_ID "BPJSTK-JAMINAN-KLAIM"

/* "payments-000042.csv" for batch 42 and ext "csv". */
void pay_render_file_name(uint64_t batch, const char *ext, char *buf, size_t size);

/* The CSV: a header line, one line per batch line
 * (batch,line,claim_id,role,payee_id,payee_name,bank_code,account,
 * account_name,amount,items; items ';'-separated), and a control line
 * "CONTROL,<lines>,,,,,,,,<sum>," (count under line, sum under amount).
 * RFC 4180 quoting where a field holds a comma, a quote or a line break.
 * xmalloc'ed, NUL-terminated; *len gets its length. */
char *pay_render_csv(const Klaim__PaymentBatch *b, size_t *len);

/* The pain.001.001.03 document: GrpHdr (MsgId KLAIMD-BATCH-NNNNNN, CreDtTm
 * of the batch's creation in WIB, NbOfTxs, CtrlSum, InitgPty), one PmtInf
 * (debtor above, ReqdExctnDt the creation date) and one CdtTrfTxInf per
 * line (EndToEndId KLAIMD-NNNNNN-LLLLLL, InstdAmt in IDR, the creditor's
 * bank code as ClrSysMmbId, name, account, and the claim id and item codes
 * as unstructured remittance). Text is XML-escaped and cut to the schema's
 * lengths on a UTF-8 boundary. xmalloc'ed; *len gets its length. */
char *pay_render_xml(const Klaim__PaymentBatch *b, size_t *len);

/* "12345" -> "12345.00": whole Rupiah as a decimal with two fractional
 * digits (buf >= 32 bytes). */
void pay_render_amount(int64_t rupiah, char *buf, size_t size);

#endif
