/* pay_render.c - see pay_render.h.
 *
 * Owns: the bytes of payments-NNNNNN.csv and payments-NNNNNN.xml.
 * Runs in: klaimctl and unit tests; pure (no I/O, no clock, no locale).
 */
#include "pay_render.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "types.h"
#include "xalloc.h"

struct buf {
    char *p;
    size_t len, cap;
};

/* Appends n bytes to b, keeping it NUL-terminated. */
static void s_put(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2 + 256;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* Appends a C string. */
static void s_puts(struct buf *b, const char *s) { s_put(b, s, strlen(s)); }

/* Appends formatted text (short pieces: numbers and tags, < 256 bytes). */
static void s_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void s_printf(struct buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0) s_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* See pay_render.h. */
void pay_render_file_name(uint64_t batch, const char *ext, char *buf, size_t size)
{
    snprintf(buf, size, "payments-%06" PRIu64 ".%s", batch, ext);
}

/* See pay_render.h: integer formatting only, never a float. */
void pay_render_amount(int64_t rupiah, char *buf, size_t size)
{
    snprintf(buf, size, "%" PRId64 ".00", rupiah);
}

/* s, or "" for an absent protobuf string. */
static const char *s_str(const char *s) { return s ? s : ""; }

/* ------------------------------------------------------------------- CSV */

static void s_csv_field(struct buf *b, const char *s, int first)
{
    if (!first) s_put(b, ",", 1);
    s = s_str(s);
    if (!strpbrk(s, ",\"\r\n")) {
        s_puts(b, s);
        return;
    }
    s_put(b, "\"", 1);
    for (const char *c = s; *c; c++) {
        if (*c == '"') s_put(b, "\"", 1);
        s_put(b, c, 1);
    }
    s_put(b, "\"", 1);
}

/* The item codes of a line, ';'-separated, into out (xmalloc'ed). */
static char *s_items(const Klaim__PaymentLine *l)
{
    struct buf b = {0};
    s_puts(&b, "");
    for (size_t i = 0; i < l->n_items; i++) {
        if (i) s_put(&b, ";", 1);
        s_puts(&b, s_str(l->items[i]));
    }
    return b.p;
}

/* See pay_render.h. */
char *pay_render_csv(const Klaim__PaymentBatch *bt, size_t *len)
{
    struct buf b = {0};
    s_puts(&b, "batch,line,claim_id,role,payee_id,payee_name,bank_code,account,account_name,amount,items\r\n");
    for (size_t i = 0; i < bt->n_lines; i++) {
        const Klaim__PaymentLine *l = bt->lines[i];
        const Klaim__BankAccount *a = l->bank;
        char num[32];
        snprintf(num, sizeof num, "%" PRIu64, bt->batch);
        s_csv_field(&b, num, 1);
        snprintf(num, sizeof num, "%u", l->line);
        s_csv_field(&b, num, 0);
        s_csv_field(&b, l->claim_id, 0);
        s_csv_field(&b, klaim_payee_role_name((enum klaim_payee_role)l->role), 0);
        s_csv_field(&b, l->payee_id, 0);
        s_csv_field(&b, l->payee_name, 0);
        s_csv_field(&b, a ? a->bank_code : "", 0);
        s_csv_field(&b, a ? a->account : "", 0);
        s_csv_field(&b, a ? a->name : "", 0);
        snprintf(num, sizeof num, "%" PRId64, l->amount);
        s_csv_field(&b, num, 0);
        char *items = s_items(l);
        s_csv_field(&b, items, 0);
        free(items);
        s_puts(&b, "\r\n");
    }
    s_printf(&b, "CONTROL,%u,,,,,,,,%" PRId64 ",\r\n", bt->line_count, bt->total);
    *len = b.len;
    return b.p;
}

/* ------------------------------------------------------------------- XML */

/* s escaped for XML text and attributes, at most max characters (UTF-8
 * code points, as the schema's MaxNText counts them). */
static void s_xml_text(struct buf *b, const char *s, size_t max)
{
    size_t chars = 0;
    for (const unsigned char *c = (const unsigned char *)s_str(s); *c; c++) {
        int lead = (*c & 0xC0) != 0x80;
        if (lead && ++chars > max) break;
        switch (*c) {
        case '&': s_puts(b, "&amp;"); break;
        case '<': s_puts(b, "&lt;"); break;
        case '>': s_puts(b, "&gt;"); break;
        case '"': s_puts(b, "&quot;"); break;
        case '\'': s_puts(b, "&apos;"); break;
        default:
            /* XML 1.0 has no control characters but tab, CR, LF: validated
             * text never holds them, shown as a space if one slips through. */
            if (*c < 0x20) s_put(b, " ", 1);
            else s_put(b, (const char *)c, 1);
        }
    }
}

/* <name>text</name> on its own line, text escaped and cut to max. */
static void s_elem(struct buf *b, const char *indent, const char *name, const char *text, size_t max)
{
    s_printf(b, "%s<%s>", indent, name);
    s_xml_text(b, text, max);
    s_printf(b, "</%s>\n", name);
}

/* See pay_render.h. */
char *pay_render_xml(const Klaim__PaymentBatch *bt, size_t *len)
{
    struct buf b = {0};
    char id[40], ctrl[32], created[40], exec_date[11];
    snprintf(id, sizeof id, "KLAIMD-BATCH-%06" PRIu64, bt->batch);
    pay_render_amount(bt->total, ctrl, sizeof ctrl);
    int64_t ms = bt->created_at_ms;
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    ktime_format_rfc3339(secs, KLAIM_WIB_OFFSET_S / 60, created, sizeof created);
    kdate_format(kdate_wib(secs), exec_date);

    s_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\">\n"
               "  <CstmrCdtTrfInitn>\n"
               "    <GrpHdr>\n");
    s_elem(&b, "      ", "MsgId", id, 35);
    s_elem(&b, "      ", "CreDtTm", created, 40);
    s_printf(&b, "      <NbOfTxs>%u</NbOfTxs>\n", bt->line_count);
    s_elem(&b, "      ", "CtrlSum", ctrl, 40);
    s_puts(&b, "      <InitgPty>\n");
    s_elem(&b, "        ", "Nm", PAY_DEBTOR_NAME, 140);
    s_puts(&b, "      </InitgPty>\n"
               "    </GrpHdr>\n"
               "    <PmtInf>\n");
    s_elem(&b, "      ", "PmtInfId", id, 35);
    s_puts(&b, "      <PmtMtd>TRF</PmtMtd>\n");
    s_printf(&b, "      <NbOfTxs>%u</NbOfTxs>\n", bt->line_count);
    s_elem(&b, "      ", "CtrlSum", ctrl, 40);
    s_elem(&b, "      ", "ReqdExctnDt", exec_date, 10);
    s_puts(&b, "      <Dbtr>\n");
    s_elem(&b, "        ", "Nm", PAY_DEBTOR_NAME, 140);
    s_puts(&b, "      </Dbtr>\n"
               "      <DbtrAcct>\n"
               "        <Id>\n"
               "          <Othr>\n");
    s_elem(&b, "            ", "Id", PAY_DEBTOR_ACCOUNT_ID, 34);
    s_puts(&b, "          </Othr>\n"
               "        </Id>\n"
               "        <Ccy>IDR</Ccy>\n"
               "      </DbtrAcct>\n"
               "      <DbtrAgt>\n"
               "        <FinInstnId/>\n"
               "      </DbtrAgt>\n");
    for (size_t i = 0; i < bt->n_lines; i++) {
        const Klaim__PaymentLine *l = bt->lines[i];
        const Klaim__BankAccount *a = l->bank;
        char e2e[40], amt[32];
        snprintf(e2e, sizeof e2e, "KLAIMD-%06" PRIu64 "-%06u", bt->batch, l->line);
        pay_render_amount(l->amount, amt, sizeof amt);
        s_puts(&b, "      <CdtTrfTxInf>\n"
                   "        <PmtId>\n");
        s_elem(&b, "          ", "EndToEndId", e2e, 35);
        s_puts(&b, "        </PmtId>\n"
                   "        <Amt>\n");
        s_printf(&b, "          <InstdAmt Ccy=\"IDR\">%s</InstdAmt>\n", amt);
        s_puts(&b, "        </Amt>\n"
                   "        <CdtrAgt>\n"
                   "          <FinInstnId>\n"
                   "            <ClrSysMmbId>\n");
        s_elem(&b, "              ", "MmbId", a ? a->bank_code : "", 35);
        s_puts(&b, "            </ClrSysMmbId>\n"
                   "          </FinInstnId>\n"
                   "        </CdtrAgt>\n"
                   "        <Cdtr>\n");
        s_elem(&b, "          ", "Nm", a && a->name && a->name[0] ? a->name : l->payee_name, 140);
        s_puts(&b, "        </Cdtr>\n"
                   "        <CdtrAcct>\n"
                   "          <Id>\n"
                   "            <Othr>\n");
        s_elem(&b, "              ", "Id", a ? a->account : "", 34);
        s_puts(&b, "            </Othr>\n"
                   "          </Id>\n"
                   "        </CdtrAcct>\n"
                   "        <RmtInf>\n");
        char *items = s_items(l);
        struct buf u = {0};
        s_puts(&u, s_str(l->claim_id));
        if (items[0]) {
            s_put(&u, " ", 1);
            s_puts(&u, items);
        }
        free(items);
        s_elem(&b, "          ", "Ustrd", u.p, 140);
        free(u.p);
        s_puts(&b, "        </RmtInf>\n"
                   "      </CdtTrfTxInf>\n");
    }
    s_puts(&b, "    </PmtInf>\n"
               "  </CstmrCdtTrfInitn>\n"
               "</Document>\n");
    *len = b.len;
    return b.p;
}
