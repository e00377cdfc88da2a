/*
 * exec.c - execve(): replace the calling process's program with a static
 * ELF executable (Linux's fs/exec.c and fs/binfmt_elf.c in one file).
 *
 * Owns struct linux_binprm, the state of one exec in progress.  The work
 * falls in two halves around THE POINT OF NO RETURN (docs/exec.md):
 *
 *   before	everything that can fail: copy the path and the argument
 *		strings out of the old image, open and check the file,
 *		build a complete new mm (segments with their contents, the
 *		stack with its image, brk).  A failure frees what was built
 *		and returns -errno to the old program, which has not changed.
 *   after	nothing that can fail: the other threads end, the new mm
 *		replaces the old one, close-on-exec files close, handlers
 *		go back to SIG_DFL, comm becomes the file's name, and the
 *		register frame is rewritten to enter the new program.
 *
 * Invariants:
 *   - the new mm is never loaded in CR3 before the point of no return: it
 *     is filled with copy_to_mm(), which writes through its page tables
 *     from the kernel side (and ignores the VMA protections, so a
 *     read-only text segment gets its final protection from the start);
 *   - nothing of the old image is read after the point of no return: the
 *     strings were copied into kernel memory first, because the old mm
 *     (where argv points) is dropped by exec_mmap();
 *   - the file is not needed after exec: segments are copied, not mapped
 *     (a deviation from Linux's mmap'd text; the pages are private either
 *     way, only the sharing between processes is lost).
 */
#include "kernel/elf.h"
#include "kernel/exec_stack.h"
#include "kernel/random.h"
#include "kernel/file.h"
#include "kernel/stat.h"
#include "kernel/process.h"
#include "kernel/syscall.h"
#include "kernel/err.h"
#include "kernel/errno.h"
#include "kernel/printk.h"
#include "kernel/string.h"
#include "kernel/cpu.h"
#include "mm/mm.h"
#include "mm/uaccess.h"
#include "mm/slab.h"
#include "mm/page_alloc.h"
#include "sched/sched.h"
#include "sched/completion.h"


#ifndef O_RDONLY
#define O_RDONLY	0
#endif

/*
 * Where a static-pie goes: Linux's ELF_ET_DYN_BASE for x86-64 (2/3 of
 * the user half) without randomisation, so addresses are the same on every
 * run - what `setarch -R` gives on Linux, and what a GDB session wants.
 */
#define ELF_ET_DYN_BASE		0x555555554000ULL

/*
 * The user stack: a VM_GROWSDOWN VMA whose top is one page below
 * TASK_SIZE_MAX, 128 KiB to start with (room for the largest image),
 * growing on faults to STACK_RLIMIT (8 MiB, Linux's default).  Linux puts
 * the top at a random offset below TASK_SIZE_MAX; we use a fixed one-page
 * gap instead, so every run has the same addresses (a GDB session can
 * rely on them), and a read just past the top of the stack (a runaway
 * strlen over the environment) faults on an unmapped page.  The pages are
 * demand-zero: only what the image touches is allocated.  The default
 * mmap_base (VMA_MMAP_BASE, 128 MiB below TASK_SIZE_MAX) stays above
 * 8 MiB + the guard gap below this, so exec leaves it alone.
 */
#define STACK_TOP_GAP		PAGE_SIZE
#define STACK_TOP		(TASK_SIZE_MAX - STACK_TOP_GAP)
#define STACK_INITIAL		(EXEC_ARG_MAX + 8 * PAGE_SIZE)
_Static_assert(STACK_RLIMIT + STACK_GUARD_GAP + STACK_TOP_GAP <= TASK_SIZE_MAX - VMA_MMAP_BASE,
	       "the stack's growth room reaches the mmap area");

/* the argument strings live in one block of 2^ARGS_ORDER pages */
#define ARGS_ORDER		5
_Static_assert((PAGE_SIZE << ARGS_ORDER) == EXEC_ARG_MAX, "ARGS_ORDER");

struct linux_binprm {
	char *filename;			/* the path, kernel copy (one page) */
	struct file *file;
	char *strings;			/* argv's then envp's strings */
	size_t strings_len;
	int argc, envc;
	void *page;			/* the file's first page, later a bounce buffer */
	struct elf_info elf;
	struct mm_struct *mm;		/* the new address space */
	u64 sp;				/* its initial RSP */
	const char *why;		/* why the file was refused (-ENOEXEC) */
};

/* ------------------------------------------------------- before: copies */

/*
 * strncpy_from_user() stops at the end of the user half as if the string
 * ended there, returning the bytes it copied without a NUL.  A string
 * whose NUL would be at TASK_SIZE_MAX or above is unreadable, as Linux
 * says: -EFAULT.  (A found NUL at src + len means src + len + 1 fits.)
 */
static bool terminated_in_user_half(const char *src, long len)
{
	return (u64)src + (u64)len < TASK_SIZE_MAX;
}

/* Only regular files with an execute bit, as in Linux: a directory or a
 * mode without x is -EACCES before anything is read. */
static int may_exec(struct file *f)
{
	struct kstat st;
	int err = vfs_getattr(f, &st);

	if (err)
		return err;
	if (!S_ISREG(st.mode) || !(st.mode & S_IXUGO))
		return -EACCES;
	return 0;
}

static int copy_path(struct linux_binprm *bprm, const char *path, bool kernel)
{
	long len;

	bprm->filename = get_free_pages(GFP_KERNEL, 0);
	if (!bprm->filename)
		return -ENOMEM;
	if (kernel) {
		len = strnlen(path, EXEC_PATH_MAX);
		if (len < EXEC_PATH_MAX)
			memcpy(bprm->filename, path, len + 1);
	} else {
		len = strncpy_from_user(bprm->filename, (const char __user *)path,
					EXEC_PATH_MAX);
		if (len < 0)
			return len;		/* -EFAULT */
		if (len < EXEC_PATH_MAX && !terminated_in_user_half(path, len))
			return -EFAULT;
	}
	if (len == EXEC_PATH_MAX)
		return -ENAMETOOLONG;		/* no NUL within PATH_MAX */
	if (len == 0)
		return -ENOENT;			/* "" names nothing, as in Linux */
	return 0;
}

/* Element @i of a NULL-terminated pointer array in user or kernel memory. */
static int get_arg_ptr(const char *const *arr, int i, bool kernel, const char **str)
{
	u64 p;

	if (kernel) {
		*str = arr[i];
		return 0;
	}
	if (copy_from_user(&p, (const void __user *)((u64)arr + (u64)i * sizeof(p)), sizeof(p)))
		return -EFAULT;
	*str = (const char *)p;
	return 0;
}

/*
 * Append the strings of one argv/envp array to bprm->strings, counting
 * them in *@count.  NULL for the array means no strings (Linux allows
 * execve(path, NULL, NULL); the program then sees argc == 0).  The limit
 * counts the pointer each string will need on the stack, as
 * exec_stack.c's does, so -E2BIG is decided here, string by string, and
 * a hostile array of a million pointers stops at the first that no longer
 * fits.
 */
static int copy_strings(struct linux_binprm *bprm, const char *const *arr,
			bool kernel, int *count)
{
	if (!arr)
		return 0;
	for (int i = 0;; i++) {
		/* the slots: every string so far, this one, two NULLs */
		u64 words = (u64)bprm->argc + bprm->envc + 1 + 2;
		long room, len;
		const char *s;
		char *dst = bprm->strings + bprm->strings_len;
		int err = get_arg_ptr(arr, i, kernel, &s);

		if (err)
			return err;
		if (!s)
			return 0;
		if (bprm->strings_len + words * 8 >= EXEC_ARG_MAX)
			return -E2BIG;
		room = EXEC_ARG_MAX - bprm->strings_len - words * 8;
		if (kernel) {
			len = strnlen(s, room);
			if (len < room)
				memcpy(dst, s, len + 1);
		} else {
			len = strncpy_from_user(dst, (const char __user *)s, room);
			if (len < 0)
				return len;	/* -EFAULT */
			if (len < room && !terminated_in_user_half(s, len))
				return -EFAULT;
		}
		if (len == room)
			return -E2BIG;		/* no NUL within what is left */
		bprm->strings_len += len + 1;
		(*count)++;
	}
}

/* ------------------------------------------------- before: the file */

static int refuse(struct linux_binprm *bprm, const char *why)
{
	bprm->why = why;
	return -ENOEXEC;
}

/* kernel_read until @count bytes or the end of the file (a short read
 * must mean the end: read_headers and load_segment rely on it).  The
 * bytes read, or -errno. */
static ssize_t read_full(struct file *f, void *buf, size_t count, u64 pos)
{
	size_t done = 0;

	while (done < count) {
		ssize_t n = kernel_read(f, (u8 *)buf + done, count - done, pos + done);

		if (n < 0)
			return n;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

/*
 * Read and check the ELF header and program headers.  The first page of
 * the file holds both in every file a linker makes; a table further out
 * is read on its own.  The file's length is known only if it is shorter
 * than a page; otherwise a segment running past the end of the file is
 * caught when load_segment() reads it.
 */
static int read_headers(struct linux_binprm *bprm)
{
	struct elf_info *elf = &bprm->elf;
	const void *phdrs;
	void *table = NULL;
	ssize_t n, head;
	u64 phsize;
	const char *why;

	bprm->page = get_free_pages(GFP_KERNEL, 0);
	if (!bprm->page)
		return -ENOMEM;
	head = read_full(bprm->file, bprm->page, PAGE_SIZE, 0);
	if (head == -EISDIR)
		return -EACCES;			/* execve of a directory */
	if (head < 0)
		return head;
	why = elf_check_ehdr(bprm->page, head, elf);
	if (why)
		return refuse(bprm, why);

	phsize = elf_phdrs_size(elf);
	if (elf->phoff <= (u64)head && phsize <= (u64)head - elf->phoff) {
		phdrs = (const u8 *)bprm->page + elf->phoff;
	} else {
		table = kmalloc(phsize, GFP_KERNEL);	/* <= 64 * 56 bytes */
		if (!table)
			return -ENOMEM;
		n = read_full(bprm->file, table, phsize, elf->phoff);
		if (n < 0 || (u64)n != phsize) {
			kfree(table);
			return n < 0 ? n : refuse(bprm, "program headers lie outside the file");
		}
		phdrs = table;
	}
	/* a short first read was the whole file */
	why = elf_check_phdrs(phdrs, head < PAGE_SIZE ? (u64)head : ELF_FILE_SIZE_UNKNOWN,
			      ELF_ET_DYN_BASE, elf);
	kfree(table);
	if (why)
		return refuse(bprm, why);
	/* the stack may grow down to STACK_RLIMIT, with a guard gap below */
	if (elf->end > STACK_TOP - STACK_RLIMIT - STACK_GUARD_GAP)
		return refuse(bprm, "program overlaps the stack area");
	return 0;
}

static int elf_prot(u32 p_flags)
{
	return (p_flags & PF_R ? PROT_READ : 0) | (p_flags & PF_W ? PROT_WRITE : 0) |
	       (p_flags & PF_X ? PROT_EXEC : 0);
}

/*
 * One PT_LOAD: an anonymous private VMA with the segment's final
 * protection, then its file bytes copied in a page at a time.  The rest
 * (p_memsz beyond p_filesz: .bss, and the tail of the last file page) is
 * zero because anonymous pages start zeroed and nothing beyond p_filesz
 * is copied - no explicit clearing needed.
 */
static int load_segment(struct linux_binprm *bprm, const struct elf_segment *seg)
{
	u64 start = ALIGN_DOWN(seg->vaddr, PAGE_SIZE);
	u64 end = ALIGN_UP(seg->vaddr + seg->memsz, PAGE_SIZE);
	u64 addr, off, left;
	long ret;

	ret = do_mmap_anon(bprm->mm, start, end - start, elf_prot(seg->flags), true);
	if (ret < 0)
		return ret;
	elf_segment_file_window(seg, &addr, &off, &left);
	while (left) {
		size_t chunk = MIN(left, (u64)PAGE_SIZE);
		ssize_t n = read_full(bprm->file, bprm->page, chunk, off);
		int err;

		if (n < 0)
			return n;
		if ((size_t)n != chunk)
			return refuse(bprm, "segment's data lies outside the file");
		err = copy_to_mm(bprm->mm, addr, bprm->page, chunk);
		if (err)
			return err;
		addr += chunk;
		off += chunk;
		left -= chunk;
	}
	return 0;
}

/* The stack VMA and the image of argc, argv, envp, auxv and strings. */
static int setup_stack(struct linux_binprm *bprm)
{
	struct exec_stack_args a = {
		.stack_top = STACK_TOP,
		.strings = bprm->strings,
		.strings_len = bprm->strings_len,
		.argc = bprm->argc,
		.envc = bprm->envc,
		.execfn = bprm->filename,
		.phdr = bprm->elf.phdr_addr,
		.phent = sizeof(struct elf64_phdr),
		.phnum = bprm->elf.phnum,
		.entry = bprm->elf.entry,
		.hwcap = cpuid(1).edx,		/* Linux's ELF_HWCAP */
	};
	struct exec_stack_layout l;
	size_t size;
	void *image;
	int err;

	err = setup_stack_vma(bprm->mm, STACK_TOP, STACK_INITIAL);
	if (err)
		return err;
	/* PT_GNU_STACK asked for PF_X (old code with trampolines) */
	if (bprm->elf.stack_exec) {
		err = do_mprotect(bprm->mm, STACK_TOP - STACK_INITIAL, STACK_INITIAL,
				  PROT_READ | PROT_WRITE | PROT_EXEC);
		if (err)
			return err;
	}
	get_random_bytes(a.random, sizeof(a.random));
	err = exec_stack_size(&a, &size);
	if (err)
		return err;
	image = kmalloc(size, GFP_KERNEL);
	if (!image)
		return -ENOMEM;
	err = build_exec_stack(image, size, &a, &l);
	if (!err)
		err = copy_to_mm(bprm->mm, l.sp, image, size);
	kfree(image);
	if (err)
		return err;
	bprm->sp = l.sp;
	/* as Linux: start_stack is the initial RSP; the strings' ranges are
	 * what /proc/PID/cmdline and environ read */
	bprm->mm->start_stack = l.sp;
	bprm->mm->arg_start = l.arg_start;
	bprm->mm->arg_end = l.arg_end;
	bprm->mm->env_start = l.env_start;
	bprm->mm->env_end = l.env_end;
	return 0;
}

static int exec_build_mm(struct linux_binprm *bprm)
{
	int err;

	bprm->mm = mm_alloc();
	if (!bprm->mm)
		return -ENOMEM;
	for (int i = 0; i < bprm->elf.nr_load; i++) {
		err = load_segment(bprm, &bprm->elf.load[i]);
		if (err)
			return err;
	}
	/* brk starts at the first page after the highest segment */
	bprm->mm->start_brk = bprm->mm->brk = ALIGN_UP(bprm->elf.end, PAGE_SIZE);
	return setup_stack(bprm);
}

/* ----------------------------------------------- after: the new image */

/* comm is the file name without its directory (Linux: kbasename). */
static void set_comm_from_path(struct task_struct *tsk, const char *path)
{
	const char *base = path;
	char comm[TASK_COMM_LEN];

	for (const char *p = path; *p; p++)
		if (*p == '/')
			base = p + 1;
	strlcpy(comm, base, sizeof(comm));
	memcpy(tsk->comm, comm, sizeof(comm));
}

static void free_bprm(struct linux_binprm *bprm)
{
	if (bprm->mm)
		mmput(bprm->mm);		/* a failed exec: all of the new mm */
	if (bprm->file && !IS_ERR(bprm->file))
		fput(bprm->file);
	if (bprm->page)
		free_pages(bprm->page, 0);
	if (bprm->strings)
		free_pages(bprm->strings, ARGS_ORDER);
	if (bprm->filename)
		free_pages(bprm->filename, 0);
	kfree(bprm);
}

static int do_execve(const char *path, const char *const *argv,
		     const char *const *envp, bool kernel, struct pt_regs *regs)
{
	struct task_struct *tsk = current;
	struct linux_binprm *bprm = kzalloc(sizeof(*bprm), GFP_KERNEL);
	int err;

	if (!bprm)
		return -ENOMEM;
	err = copy_path(bprm, path, kernel);
	if (err)
		goto out;
	/* Linux's order: a missing file is reported before a bad argv */
	bprm->file = filp_open(bprm->filename, O_RDONLY);
	if (IS_ERR(bprm->file)) {
		err = PTR_ERR(bprm->file);
		if (err == -EISDIR)
			err = -EACCES;
		goto out;
	}
	err = may_exec(bprm->file);
	if (err)
		goto out;
	bprm->strings = get_free_pages(GFP_KERNEL, ARGS_ORDER);
	err = -ENOMEM;
	if (!bprm->strings)
		goto out;
	err = copy_strings(bprm, argv, kernel, &bprm->argc);
	if (!err)
		err = copy_strings(bprm, envp, kernel, &bprm->envc);
	if (err)
		goto out;
	err = read_headers(bprm);
	if (!err)
		err = exec_build_mm(bprm);
	if (err)
		goto out;

	/*
	 * THE POINT OF NO RETURN.  de_thread() may still fail (this process
	 * is being killed, or another thread is exec'ing): then the old image
	 * is intact and the fatal signal ends it on the way out.  From
	 * exec_mmap() on, nothing fails.
	 */
	err = de_thread(tsk);
	if (err)
		goto out;
	mm_release(tsk, tsk->mm);	/* before exec_mmap: the tid word is in the old mm */
	exec_mmap(bprm->mm);
	bprm->mm = NULL;			/* the task's now */
	if (tsk->files)
		do_close_on_exec(tsk->files);
	flush_signal_handlers(tsk);
	/* execve(2): the alternate signal stack and the robust futex list
	 * are not inherited; the signal mask and pending signals are */
	tsk->sas_ss_sp = 0;
	tsk->sas_ss_size = 0;
	tsk->sas_ss_flags = 0;
	tsk->robust_list = NULL;
	tsk->robust_list_len = 0;
	set_comm_from_path(tsk, bprm->filename);
	start_thread(regs, bprm->elf.entry, bprm->sp);
	err = 0;
out:
	if (err == -ENOEXEC && bprm->why) {
		if (bprm->elf.bad_phdr >= 0)
			printk(KERN_WARNING "exec: %s: %s (program header %d)\n",
			       bprm->filename, bprm->why, bprm->elf.bad_phdr);
		else
			printk(KERN_WARNING "exec: %s: %s\n", bprm->filename, bprm->why);
	}
	free_bprm(bprm);
	return err;
}

/* execve(path, argv, envp): 0 into a new program, or -errno into the old */
long __x64_sys_execve(const struct pt_regs *regs);
long __x64_sys_execve(const struct pt_regs *regs)
{
	/* the frame is the task's own user frame on its kernel stack (the
	 * table's handlers see it const only because most must not write it) */
	return do_execve((const char *)regs->di, (const char *const *)regs->si,
			 (const char *const *)regs->dx, false, (struct pt_regs *)regs);
}

/*
 * A kernel thread becomes a user process (start_init): the same exec
 * with kernel pointers.  On 0, task_pt_regs(current) is a ring-3 frame
 * for the new program and the caller returns to user mode through it.
 */
int kernel_execve(const char *path, const char *const argv[], const char *const envp[]);
int kernel_execve(const char *path, const char *const argv[], const char *const envp[])
{
	return do_execve(path, argv, envp, true, task_pt_regs(current));
}
