/*
 * fpu_regs.h - the whole user-visible FPU register file as one memory
 * image, and inline-asm blocks that load it, do something that gives the
 * kernel a chance to lose it (system calls, a spin the timer interrupts, a
 * signal), and store it back, with no compiler-generated code in between.
 *
 * Which parts exist is decided at run time from CPUID and XCR0 (XGETBV 0),
 * never assumed: x87 and SSE always; AVX (ymm upper halves) when XCR0 has
 * bits 1-2; AVX-512 (k0-7, zmm0-31) when XCR0 has bits 5-7; PKRU when XCR0
 * has bit 9 and CR4.PKE is on (CPUID.7.0:ECX.OSPKE).  Functions with AVX or
 * AVX-512 instructions carry a target attribute and are only called when
 * the feature is enabled.
 *
 * Only included by fpu.c.
 */
#ifndef USER_TESTS_FPU_REGS_H
#define USER_TESTS_FPU_REGS_H

#include <cpuid.h>
#include <stddef.h>
#include <stdint.h>

/* XSAVE state components (SDM vol. 1, 13.1) */
#define XFEATURE_X87		0
#define XFEATURE_SSE		1
#define XFEATURE_YMM		2
#define XFEATURE_OPMASK		5
#define XFEATURE_ZMM_HI256	6
#define XFEATURE_HI16_ZMM	7
#define XFEATURE_PKRU		9
#define XFEATURE_MASK_AVX512	(0x7UL << XFEATURE_OPMASK)

/* Linux's signal frame: struct _fpx_sw_bytes in the FXSAVE image's
 * software-reserved bytes 464..511 (arch/x86/include/uapi/asm/sigcontext.h) */
#define FP_XSTATE_MAGIC1	0x46505853U
#define FP_XSTATE_MAGIC2	0x46505845U
#define FX_SW_BYTES		464
#define FX_OFF_FCW		0
#define FX_OFF_MXCSR		24
#define FX_OFF_ST		32	/* ST(i) at 32 + 16 * i */
#define FX_OFF_XMM		160	/* xmm(i) at 160 + 16 * i */
#define XSAVE_HDR		512	/* XSTATE_BV, XCOMP_BV, reserved */

struct fpx_sw_bytes {
	uint32_t magic1;
	uint32_t extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};

/*
 * The register file.  Offsets are fixed because the asm below uses them.
 * zmm[i] holds xmm(i) in its low 16 bytes and ymm(i) in its low 32.  The
 * x87 registers are stored 80 bits in a 16-byte slot, st[0] loaded first
 * (so it ends up as ST(7)).
 */
struct fpu_image {
	unsigned char zmm[32][64];	/* 0x000 */
	uint64_t k[8];			/* 0x800 */
	unsigned char st[8][16];	/* 0x840 */
	uint32_t mxcsr;			/* 0x8c0 */
	uint16_t fcw;			/* 0x8c4 */
	uint16_t pad0;
	uint32_t pkru;			/* 0x8c8 */
	uint32_t pad1;
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct fpu_image, k) == 0x800, "k");
_Static_assert(offsetof(struct fpu_image, st) == 0x840, "st");
_Static_assert(offsetof(struct fpu_image, mxcsr) == 0x8c0, "mxcsr");
_Static_assert(offsetof(struct fpu_image, fcw) == 0x8c4, "fcw");
_Static_assert(offsetof(struct fpu_image, pkru) == 0x8c8, "pkru");

/*
 * What the asm does between load and store: REPEAT times, spin SPIN
 * iterations (ending early once *WATCH is non-zero, if WATCH is set), then
 * system call NR (none if NR < 0) with A0..A3; its result goes to RET.
 * The child of a fork made here returns through the same store.
 */
struct fpu_op {
	const struct fpu_image *in;	/* 0 */
	struct fpu_image *out;		/* 8 */
	long repeat;			/* 16 */
	long spin;			/* 24 */
	long nr;			/* 32 */
	long a0, a1, a2, a3;		/* 40 48 56 64 */
	long ret;			/* 72 */
	long flags;			/* 80 */
	volatile long *watch;		/* 88 */
};
#define OP_PKRU		1		/* load and store PKRU */
#define OP_KMOVQ	2		/* 64-bit opmask registers (AVX512BW) */

_Static_assert(offsetof(struct fpu_op, flags) == 80, "flags");
_Static_assert(offsetof(struct fpu_op, watch) == 88, "watch");

/* ------------------------------------------------------------ detection */

static struct {
	int probed;
	int xsave;		/* CR4.OSXSAVE: XGETBV works */
	uint64_t xcr0;
	int avx, avx512, avx512bw, pkru, xgetbv1;
	uint32_t xsave_size;	/* CPUID.(0xD,0).EBX: XSAVE size for XCR0 */
	uint32_t off[64], size[64];	/* standard-format offset, size */
	uint64_t xfd_capable;	/* components the OS may arm with XFD */
} fx;

static inline uint64_t xgetbv(uint32_t index)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
	return ((uint64_t)hi << 32) | lo;
}

static inline void fpu_probe(void)
{
	unsigned int a, b, c, d;
	if (fx.probed)
		return;
	fx.probed = 1;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return;
	int cpu_avx = !!(c & bit_AVX);
	fx.xsave = 1;
	fx.xcr0 = xgetbv(0);
	unsigned int b7 = 0, c7 = 0;
	if (__get_cpuid_max(0, NULL) >= 7)
		__cpuid_count(7, 0, a, b7, c7, d);
	__cpuid_count(0xd, 0, a, b, c, d);
	fx.xsave_size = b;
	__cpuid_count(0xd, 1, a, b, c, d);
	fx.xgetbv1 = !!(a & 4);
	for (int i = 2; i < 19; i++) {
		__cpuid_count(0xd, (unsigned)i, a, b, c, d);
		fx.size[i] = a;
		fx.off[i] = b;
		if (c & 4)
			fx.xfd_capable |= 1UL << i;
	}
	/* a component is only used if CPUID also says where it lives */
	fx.avx = cpu_avx && (fx.xcr0 & 6) == 6 && fx.size[XFEATURE_YMM] >= 256;
	fx.avx512 = fx.avx && (b7 & (1U << 16)) &&
		    (fx.xcr0 & XFEATURE_MASK_AVX512) == XFEATURE_MASK_AVX512 &&
		    fx.size[XFEATURE_OPMASK] >= 64 && fx.size[XFEATURE_ZMM_HI256] >= 512 &&
		    fx.size[XFEATURE_HI16_ZMM] >= 1024;
	fx.avx512bw = fx.avx512 && (b7 & (1U << 30));
	fx.pkru = (fx.xcr0 & (1UL << XFEATURE_PKRU)) && (c7 & (1U << 4)) &&
		  fx.size[XFEATURE_PKRU] >= 4;
}

/*
 * $FPU_LIMIT ("noavx", "noavx512", "nobw", "nopkru", comma-separated)
 * makes the tests use less than the CPU has, to run the narrower code
 * paths on a big machine.  XCR0 itself stays what the OS set.
 */
static inline void fpu_limit_from_env(const char *env)
{
	fpu_probe();
	if (!env)
		return;
	if (strstr(env, "noavx512"))
		fx.avx512 = fx.avx512bw = 0;
	else if (strstr(env, "noavx"))
		fx.avx = fx.avx512 = fx.avx512bw = 0;
	if (strstr(env, "nobw"))
		fx.avx512bw = 0;
	if (strstr(env, "nopkru"))
		fx.pkru = 0;
}

static inline const char *fpu_level_name(void)
{
	if (fx.avx512)
		return fx.avx512bw ? "x87+sse+avx+avx512" : "x87+sse+avx+avx512f (16-bit k)";
	if (fx.avx)
		return "x87+sse+avx";
	return "x87+sse";
}

static inline long fpu_op_flags(void)
{
	return (fx.pkru ? OP_PKRU : 0) | (fx.avx512bw ? OP_KMOVQ : 0);
}

static inline uint32_t rdpkru(void)
{
	uint32_t eax, edx;
	__asm__ volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

static inline void wrpkru(uint32_t v)
{
	__asm__ volatile("wrpkru" :: "a"(v), "c"(0), "d"(0) : "memory");
}

/* ------------------------------------------------------------ the asm */

#define FPU_R8(M)	M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7)
#define FPU_R16(M)	FPU_R8(M) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)
#define FPU_R32(M)	FPU_R16(M) M(16) M(17) M(18) M(19) M(20) M(21) M(22) M(23) \
			M(24) M(25) M(26) M(27) M(28) M(29) M(30) M(31)

/* r12 = in, r13 = out, rbx = op */
#define LD_XMM(i)	"movdqu " #i "*64(%%r12), %%xmm" #i "\n\t"
#define ST_XMM(i)	"movdqu %%xmm" #i ", " #i "*64(%%r13)\n\t"
#define LD_YMM(i)	"vmovdqu " #i "*64(%%r12), %%ymm" #i "\n\t"
#define ST_YMM(i)	"vmovdqu %%ymm" #i ", " #i "*64(%%r13)\n\t"
#define LD_ZMM(i)	"vmovdqu64 " #i "*64(%%r12), %%zmm" #i "\n\t"
#define ST_ZMM(i)	"vmovdqu64 %%zmm" #i ", " #i "*64(%%r13)\n\t"
#define LD_KQ(i)	"kmovq 0x800+" #i "*8(%%r12), %%k" #i "\n\t"
#define ST_KQ(i)	"kmovq %%k" #i ", 0x800+" #i "*8(%%r13)\n\t"
#define LD_KW(i)	"kmovw 0x800+" #i "*8(%%r12), %%k" #i "\n\t"
#define ST_KW(i)	"kmovw %%k" #i ", 0x800+" #i "*8(%%r13)\n\t"
#define LD_ST(i)	"fldt 0x840+" #i "*16(%%r12)\n\t"
#define ST_ST(i)	"fstpt 0x840+(7-" #i ")*16(%%r13)\n\t"

#define FPU_ASM_PROLOGUE						\
	"mov 0(%%rbx), %%r12\n\t"					\
	"mov 8(%%rbx), %%r13\n\t"					\
	"testq $1, 80(%%rbx)\n\t"					\
	"jz 10f\n\t"							\
	"movl 0x8c8(%%r12), %%eax\n\t"					\
	"xor %%ecx, %%ecx\n\t"						\
	"xor %%edx, %%edx\n\t"						\
	"wrpkru\n"							\
	"10:\n\t"							\
	"fninit\n\t"							\
	"fldcw 0x8c4(%%r12)\n\t"					\
	FPU_R8(LD_ST)							\
	"ldmxcsr 0x8c0(%%r12)\n\t"

/* the window: spin and/or system calls, registers live throughout */
#define FPU_ASM_WINDOW							\
	"mov 16(%%rbx), %%r14\n"					\
	"20:\n\t"							\
	"mov 24(%%rbx), %%r15\n\t"					\
	"test %%r15, %%r15\n\t"						\
	"jz 23f\n"							\
	"21:\n\t"							\
	"pause\n\t"							\
	"mov 88(%%rbx), %%rax\n\t"					\
	"test %%rax, %%rax\n\t"						\
	"jz 22f\n\t"							\
	"cmpq $0, (%%rax)\n\t"						\
	"jne 23f\n"							\
	"22:\n\t"							\
	"dec %%r15\n\t"							\
	"jnz 21b\n"							\
	"23:\n\t"							\
	"mov 32(%%rbx), %%rax\n\t"					\
	"test %%rax, %%rax\n\t"						\
	"js 24f\n\t"							\
	"mov 40(%%rbx), %%rdi\n\t"					\
	"mov 48(%%rbx), %%rsi\n\t"					\
	"mov 56(%%rbx), %%rdx\n\t"					\
	"mov 64(%%rbx), %%r10\n\t"					\
	"syscall\n\t"							\
	"mov %%rax, 72(%%rbx)\n"					\
	"24:\n\t"							\
	"dec %%r14\n\t"							\
	"jg 20b\n\t"

/* store, then put MXCSR and the x87 control word back to the defaults
 * the C code around expects (PKRU stays: it only guards pkeys 1-15) */
#define FPU_ASM_EPILOGUE						\
	"mov 8(%%rbx), %%r13\n\t"					\
	"fnstcw 0x8c4(%%r13)\n\t"					\
	"stmxcsr 0x8c0(%%r13)\n\t"					\
	FPU_R8(ST_ST)							\
	"testq $1, 80(%%rbx)\n\t"					\
	"jz 11f\n\t"							\
	"xor %%ecx, %%ecx\n\t"						\
	"rdpkru\n\t"							\
	"movl %%eax, 0x8c8(%%r13)\n"					\
	"11:\n\t"							\
	"fninit\n\t"							\
	"ldmxcsr %[dmx]\n\t"

#define FPU_ASM_GPR_CLOBBERS						\
	"rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",	\
	"r12", "r13", "r14", "r15", "memory", "cc"
#define FPU_ASM_XMM_CLOBBERS						\
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",	\
	"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", \
	"st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"

static const uint32_t fpu_default_mxcsr = 0x1f80;

static void __attribute__((noinline)) fpu_cycle_sse(struct fpu_op *op)
{
	__asm__ volatile(
		FPU_ASM_PROLOGUE
		FPU_R16(LD_XMM)
		FPU_ASM_WINDOW
		"mov 8(%%rbx), %%r13\n\t"
		FPU_R16(ST_XMM)
		FPU_ASM_EPILOGUE
		:
		: "b"(op), [dmx] "m"(fpu_default_mxcsr)
		: FPU_ASM_GPR_CLOBBERS, FPU_ASM_XMM_CLOBBERS);
}

__attribute__((target("avx")))
static void __attribute__((noinline)) fpu_cycle_avx(struct fpu_op *op)
{
	__asm__ volatile(
		FPU_ASM_PROLOGUE
		FPU_R16(LD_YMM)
		FPU_ASM_WINDOW
		"mov 8(%%rbx), %%r13\n\t"
		FPU_R16(ST_YMM)
		"vzeroupper\n\t"
		FPU_ASM_EPILOGUE
		:
		: "b"(op), [dmx] "m"(fpu_default_mxcsr)
		: FPU_ASM_GPR_CLOBBERS, FPU_ASM_XMM_CLOBBERS);
}

__attribute__((target("avx512f")))
static void __attribute__((noinline)) fpu_cycle_avx512(struct fpu_op *op)
{
	__asm__ volatile(
		FPU_ASM_PROLOGUE
		FPU_R32(LD_ZMM)
		"testq $2, 80(%%rbx)\n\t"
		"jz 12f\n\t"
		FPU_R8(LD_KQ)
		"jmp 13f\n"
		"12:\n\t"
		FPU_R8(LD_KW)
		"13:\n\t"
		FPU_ASM_WINDOW
		"mov 8(%%rbx), %%r13\n\t"
		FPU_R32(ST_ZMM)
		"testq $2, 80(%%rbx)\n\t"
		"jz 14f\n\t"
		FPU_R8(ST_KQ)
		"jmp 15f\n"
		"14:\n\t"
		FPU_R8(ST_KW)
		"15:\n\t"
		"vzeroupper\n\t"
		FPU_ASM_EPILOGUE
		:
		: "b"(op), [dmx] "m"(fpu_default_mxcsr)
		: FPU_ASM_GPR_CLOBBERS, FPU_ASM_XMM_CLOBBERS,
		  "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23",
		  "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31",
		  "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7");
}

/* Load IN, run the window of OP, store to OUT (which is zeroed first, so
 * parts this CPU lacks compare equal to a zeroed expectation). */
static inline void fpu_cycle(const struct fpu_image *in, struct fpu_image *out, struct fpu_op *op)
{
	fpu_probe();
	memset(out, 0, sizeof(*out));
	op->in = in;
	op->out = out;
	op->flags = fpu_op_flags();
	if (op->repeat < 1)
		op->repeat = 1;
	if (fx.avx512)
		fpu_cycle_avx512(op);
	else if (fx.avx)
		fpu_cycle_avx(op);
	else
		fpu_cycle_sse(op);
}

/* ------------------------------------------------------------ patterns */

static inline uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15UL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9UL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebUL;
	return x ^ (x >> 31);
}

/*
 * A register file derived from SEED, holding only the parts this CPU and
 * OS have (others stay zero).  MXCSR's rounding control is RC bits 0-1 and
 * its flush-to-zero bit RC bit 2, so up to 8 threads get distinct modes;
 * its exception flags vary with SEED.  MXCSR exceptions stay masked and
 * the x87 ones too, so nothing traps.
 */
static inline void fpu_pattern(struct fpu_image *img, uint64_t seed, unsigned rc)
{
	fpu_probe();
	memset(img, 0, sizeof(*img));
	int nzmm = fx.avx512 ? 32 : 16, bytes = fx.avx512 ? 64 : fx.avx ? 32 : 16;
	for (int r = 0; r < nzmm; r++)
		for (int w = 0; w < bytes / 8; w++) {
			uint64_t v = mix64(seed * 131 + (uint64_t)r * 8 + (uint64_t)w);
			memcpy(&img->zmm[r][w * 8], &v, 8);
		}
	if (fx.avx512)
		for (int i = 0; i < 8; i++) {
			uint64_t v = mix64(seed ^ (0x1000UL + (uint64_t)i));
			img->k[i] = fx.avx512bw ? v : (v & 0xffff);
		}
	for (int i = 0; i < 8; i++) {
		/* distinct integers below 2^62: exact in the 64-bit mantissa */
		uint64_t bits = (mix64(seed ^ (0x2000UL + (uint64_t)i)) >> 3) | 1;
		long double v = (long double)(int64_t)bits;
		v = i & 1 ? -v : v;
		memcpy(img->st[i], &v, 10);
	}
	uint64_t h = mix64(seed ^ 0x3000);
	/* precision control 0 (single), 2 (double) or 3 (extended); 1 is reserved */
	unsigned pc = (unsigned)(h % 3);
	img->fcw = (uint16_t)(0x007f | ((pc ? pc + 1 : 0) << 8) | ((h >> 8 & 3) << 10));
	img->mxcsr = 0x1f80 | (rc & 3) << 13 | (rc >> 2 & 1) << 15 | (uint32_t)(h >> 16 & 0x3f);
	if (fx.pkru)		/* pkey 0 (all our memory) stays accessible */
		img->pkru = (uint32_t)(h >> 32) & ~3U;
}

/* The first difference between two register files, described in BUF;
 * 0 if they are equal. */
static inline int fpu_diff(const struct fpu_image *want, const struct fpu_image *got,
			   char *buf, size_t size)
{
	for (int r = 0; r < 32; r++)
		for (int w = 0; w < 8; w++) {
			uint64_t a, b;
			memcpy(&a, &want->zmm[r][w * 8], 8);
			memcpy(&b, &got->zmm[r][w * 8], 8);
			if (a != b) {
				snprintf(buf, size,
					 "%s%d bits %d..%d: expected %#018lx, got %#018lx",
					 w >= 4 ? "zmm" : w >= 2 ? "ymm" : "xmm", r,
					 w * 64, w * 64 + 63, (unsigned long)a, (unsigned long)b);
				return 1;
			}
		}
	for (int i = 0; i < 8; i++)
		if (want->k[i] != got->k[i]) {
			snprintf(buf, size, "k%d: expected %#lx, got %#lx", i,
				 (unsigned long)want->k[i], (unsigned long)got->k[i]);
			return 1;
		}
	for (int i = 0; i < 8; i++)
		if (memcmp(want->st[i], got->st[i], 10) != 0) {
			uint64_t a, b;
			uint16_t ea, eb;
			memcpy(&a, want->st[i], 8);
			memcpy(&ea, want->st[i] + 8, 2);
			memcpy(&b, got->st[i], 8);
			memcpy(&eb, got->st[i] + 8, 2);
			snprintf(buf, size, "x87 ST(%d): expected %04x:%016lx, got %04x:%016lx",
				 7 - i, ea, (unsigned long)a, eb, (unsigned long)b);
			return 1;
		}
	if (want->fcw != got->fcw) {
		snprintf(buf, size, "x87 control word: expected %#x, got %#x", want->fcw, got->fcw);
		return 1;
	}
	if (want->mxcsr != got->mxcsr) {
		snprintf(buf, size, "MXCSR: expected %#x, got %#x", want->mxcsr, got->mxcsr);
		return 1;
	}
	if (want->pkru != got->pkru) {
		snprintf(buf, size, "PKRU: expected %#x, got %#x", want->pkru, got->pkru);
		return 1;
	}
	return 0;
}

#endif
