/*
 * cmdline.c - parse the kernel command line once, at boot, into words.
 *
 * Invariant: the stored line is a private copy (the boot loader's memory is
 * not ours once the memory allocator runs), at most BOOT_CMDLINE_MAX bytes.
 */
#include "kernel/cmdline.h"
#include "kernel/multiboot2.h"
#include "kernel/string.h"
#include "kernel/printk.h"

#define MAX_WORDS	32

static char raw[BOOT_CMDLINE_MAX];
static char words[BOOT_CMDLINE_MAX];
static const char *names[MAX_WORDS], *values[MAX_WORDS];
static int nr_words;

void cmdline_init(const char *s)
{
	char *p = words;

	strlcpy(raw, s, sizeof(raw));
	strlcpy(words, s, sizeof(words));
	nr_words = 0;
	while (*p) {
		char *eq;

		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (nr_words == MAX_WORDS) {
			pr_warn("cmdline: more than %d words, ignoring the rest\n", MAX_WORDS);
			break;
		}
		names[nr_words] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
		eq = strchr(names[nr_words], '=');
		if (eq) {
			*eq = '\0';
			values[nr_words] = eq + 1;
		} else {
			values[nr_words] = "";
		}
		nr_words++;
	}
}

const char *cmdline_raw(void)
{
	return raw;
}

const char *cmdline_get(const char *name)
{
	const char *v = NULL;

	for (int i = 0; i < nr_words; i++)	/* the last one wins, as in Linux */
		if (!strcmp(names[i], name))
			v = values[i];
	return v;
}

bool cmdline_has(const char *name)
{
	return cmdline_get(name) != NULL;
}

long cmdline_get_long(const char *name, long dflt)
{
	const char *v = cmdline_get(name);
	long n = 0;
	bool neg = false;

	if (!v || !*v)
		return dflt;
	if (*v == '-') {
		neg = true;
		v++;
	}
	for (; *v; v++) {
		if (*v < '0' || *v > '9' || n > 100000000) {
			pr_warn("cmdline: %s=%s is not a number, using %ld\n",
				name, cmdline_get(name), dflt);
			return dflt;
		}
		n = n * 10 + (*v - '0');
	}
	return neg ? -n : n;
}
