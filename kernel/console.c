/*
 * console.c - the list of registered consoles.
 *
 * Registration appends, so output order is registration order.  Consoles are
 * never unregistered: a console is static data of its driver.
 */
#include "kernel/console.h"

static struct console *consoles;

void register_console(struct console *con)
{
	struct console **pp = &consoles;

	while (*pp) {
		if (*pp == con)
			return;		/* registering twice would print twice */
		pp = &(*pp)->next;
	}
	con->next = NULL;
	*pp = con;
}

void console_write(const char *s, size_t n)
{
	for (struct console *c = consoles; c; c = c->next)
		c->write(c, s, n);
}
