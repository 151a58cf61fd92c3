/* console_assets.h - the web console's files, embedded into klaimd at
 * build time (daemon/console/embed.cmake writes console_assets.c from
 * index.html, app.js and style.css: no node, no CDN, works offline), and
 * the OpenAPI document daemon/openapi.json, served as /openapi.json. */
#ifndef KLAIM_CONSOLE_ASSETS_H
#define KLAIM_CONSOLE_ASSETS_H
#include <stddef.h>

struct console_asset {
    const char *path;           /* "/index.html" */
    const char *type;           /* Content-Type */
    const unsigned char *data;
    size_t len;
};

extern const struct console_asset console_assets[];
extern const size_t console_assets_n;

#endif
