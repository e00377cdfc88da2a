/*
 * gfp.h - allocation flags ("get free pages"), Linux's names.
 *
 * Switchyard's allocators never sleep yet, so the only flag with an effect
 * is __GFP_ZERO.  GFP_KERNEL exists so that call sites read as in Linux and
 * keep their meaning when the scheduler makes sleeping allocations possible.
 */
#ifndef MM_GFP_H
#define MM_GFP_H

typedef unsigned int gfp_t;

#define __GFP_ZERO	0x100u
#define GFP_KERNEL	0x0u
#define GFP_ATOMIC	0x0u

#endif
