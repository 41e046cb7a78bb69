/* ad_proctitle.h: the process title shown by ps(1)/top(1), Gunicorn style:
 * "tandem-appd: master [app]" and "tandem-appd: worker [app]". */
#ifndef TANDEM_AD_PROCTITLE_H
#define TANDEM_AD_PROCTITLE_H

/* Remembers the argv area; call before anything else reads argv. */
void ad_proctitle_init(int argc, char **argv, const char *default_name);
void ad_proctitle_set(const char *role, const char *name);

#endif
