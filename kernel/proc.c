/*
 * proc.c - a tiny /proc: kernel state as text files.
 *
 *   /proc/meminfo     MemTotal, MemFree, ... in kB, Linux's format, so
 *                     free(1)-style tools parse it
 *   /proc/switchyard  this kernel's counters, "name: value" lines (init's
 *                     leak check reads them): cpus, tasks, free_pages,
 *                     open_files; then one line per CPU, "cpuN: switches
 *                     S cr3_loads C migrations M idle_ms I running R";
 *                     the FPU's and the TLB's counters, page faults and
 *                     function-call IPIs handled, per CPU where they are
 *                     per CPU (docs/performance.md reads them)
 *
 * A file's text is generated once, at open time, into a buffer that lives
 * as long as the open file: every read() of one open file sees the same
 * snapshot (a reader never gets half of an old and half of a new text,
 * whatever its buffer size), and reopening gives fresh numbers.  Linux's
 * seq_file regenerates per read() instead.
 *
 * The directory is read-only: opening for writing, creating or
 * truncating gives -EACCES.
 */
#include "kernel/fs_internal.h"
#include "kernel/err.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "kernel/vsnprintf.h"
#include "kernel/smp.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/leakcheck.h"
#include "mm/tlb.h"
#include "mm/pti.h"
#include "mm/mm.h"
#include "mm/uaccess.h"
#include "sched/sched.h"

#define PROC_DEV	MKDEV_USER(0, 4)
#define PROC_BUF_SIZE	4096

struct proc_entry;

struct proc_text {
	const struct proc_entry *entry;
	size_t len;
	char data[PROC_BUF_SIZE];
};

struct proc_entry {
	const char *name;
	u64 ino;
	void (*show)(struct proc_text *t);
};

static __printf(2, 3) void emit(struct proc_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->len >= sizeof(t->data) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->data + t->len, sizeof(t->data) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len = MIN(t->len + n, sizeof(t->data) - 1);	/* truncated, not overrun */
}

static void show_kb(struct proc_text *t, const char *name, u64 pages)
{
	/* Linux: the label padded to 16 columns, the number to 8, " kB" */
	emit(t, "%-16s%8lu kB\n", name, (unsigned long)(pages << (PAGE_SHIFT - 10)));
}

static void show_meminfo(struct proc_text *t)
{
	u64 free = nr_free_pages();

	show_kb(t, "MemTotal:", mem_zone.managed_pages);
	show_kb(t, "MemFree:", free);
	show_kb(t, "MemAvailable:", free);
	show_kb(t, "Buffers:", 0);
	show_kb(t, "Cached:", 0);
	show_kb(t, "SwapTotal:", 0);
	show_kb(t, "SwapFree:", 0);
}

/*
 * mms kept alive only by CPUs that run kernel threads on them lazily.
 * Approximate by nature (another CPU may switch meanwhile; the mm_users
 * read is of an mm that CPU still holds an mm_count on when we looked).
 */
static unsigned long nr_lazy_only_mms(void)
{
	struct mm_struct *seen[NR_CPUS];
	unsigned long n = 0;
	int cpu;

	for_each_online_cpu(cpu) {
		struct mm_struct *mm = tlb_cpu_loaded_mm(cpu);
		bool dup = false;

		if (!mm || mm == &init_mm || atomic_read(&mm->mm_users) > 0)
			continue;
		for (unsigned long i = 0; i < n; i++)
			dup |= seen[i] == mm;
		if (!dup)
			seen[n++] = mm;
	}
	return n;
}

static void show_switchyard(struct proc_text *t)
{
	int cpu;

	emit(t, "cpus:       %d\n", num_online_cpus());
	emit(t, "tasks:      %lu\n", (unsigned long)nr_tasks());
	emit(t, "free_pages: %lu\n", (unsigned long)nr_free_pages());
	emit(t, "open_files: %lu\n", (unsigned long)nr_open_files());
	{
		struct mem_snapshot m;

		mem_snapshot(&m);	/* what the KTAP leak checks compare */
		emit(t, "heap_objects: %lu\n", (unsigned long)m.heap_objects);
		emit(t, "heap_bytes: %lu\n", (unsigned long)m.heap_bytes);
		/* an mm whose threads are all gone may live on as an idle
		 * CPU's lazily loaded mm (sched/core.c): counted apart, it is
		 * not a leak and goes when that CPU loads another mm */
		emit(t, "mms:        %lu\n", (unsigned long)(m.mms - nr_lazy_only_mms()));
		emit(t, "mms_lazy:   %lu\n", (unsigned long)nr_lazy_only_mms());
		emit(t, "kstacks:    %lu\n", (unsigned long)m.kstacks);
	}
	for_each_online_cpu(cpu) {
		struct sched_cpu_stats st;

		sched_cpu_stats(cpu, &st);
		emit(t, "cpu%d: switches %lu cr3_loads %lu migrations %lu idle_ms %lu running %lu\n",
		     cpu,
		     (unsigned long)st.nr_switches, (unsigned long)st.cr3_loads,
		     (unsigned long)st.nr_migrations, (unsigned long)(st.idle_ns / 1000000),
		     (unsigned long)st.nr_running);
	}
	emit(t, "pcid: %s\n", strcmp(tlb_pcid_mode(), "off") ? "on" : "off");
	emit(t, "pcid_mode: %s\n", tlb_pcid_mode());
	emit(t, "pti: %s\n", pti_enabled ? "on" : "off");
	emit(t, "invpcid: %s\n", tlb_invpcid_mode());
	for_each_online_cpu(cpu) {
		struct tlb_cpu_stats ts;

		tlb_get_cpu_stats(cpu, &ts);
		emit(t, "tlb%d: cr3_noflush %lu cr3_flush %lu asid_hit %lu asid_miss %lu "
		     "flush_full %lu flush_range %lu ipi_sent %lu ipi_skipped_lazy %lu "
		     "skipped_current %lu lazy_catchup %lu user_cr3_noflush %lu "
		     "user_cr3_flush %lu user_flush_deferred %lu invpcid_single %lu\n", cpu,
		     (unsigned long)ts.cr3_noflush, (unsigned long)ts.cr3_flush,
		     (unsigned long)ts.asid_hit, (unsigned long)ts.asid_miss,
		     (unsigned long)ts.flush_full, (unsigned long)ts.flush_range,
		     (unsigned long)ts.ipi_sent, (unsigned long)ts.ipi_skipped_lazy,
		     (unsigned long)ts.flush_skipped_current, (unsigned long)ts.lazy_catchup,
		     (unsigned long)ts.user_cr3_noflush, (unsigned long)ts.user_cr3_flush,
		     (unsigned long)ts.user_flush_deferred, (unsigned long)ts.invpcid_single);
	}
	emit(t, "fpu:        %s xfeatures %#llx size %u\n", fpu_backend_name(),
	     (unsigned long long)fpu_kernel_cfg.features, fpu_kernel_cfg.size);
	for_each_online_cpu(cpu) {
		struct fpu_stats fs;

		fpu_get_stats(cpu, &fs);
		emit(t, "fpu%d: saves %lu restores %lu skipped %lu kernel_fpu %lu faults %lu\n",
		     cpu, (unsigned long)fs.saves, (unsigned long)fs.restores,
		     (unsigned long)fs.restores_skipped, (unsigned long)fs.kernel_fpu,
		     (unsigned long)fs.restore_faults);
	}
	/* Monotonic event counts for the benchmarks (docs/performance.md);
	 * "name: word N" lines, so init's leak check does not judge them. */
	emit(t, "tlb: cr3_writes %lu flush_all %lu flush_one %lu\n",
	     (unsigned long)tlb_stats.cr3_writes, (unsigned long)tlb_stats.flush_all,
	     (unsigned long)tlb_stats.flush_one);
	emit(t, "mm: page_faults %lu\n", (unsigned long)fault_stats.faults);
	for_each_online_cpu(cpu)
		emit(t, "ipi%d: calls %lu\n", cpu, (unsigned long)smp_calls_run(cpu));
}

static const struct proc_entry proc_entries[] = {
	{ "meminfo", 2, show_meminfo },
	{ "switchyard", 3, show_switchyard },
};

bool is_proc_path(const char *path)
{
	return !strncmp(path, "/proc", 5) && (path[5] == '\0' || path[5] == '/');
}

struct file *proc_open(const char *path, int flags, bool dir_only)
{
	const char *name = path + 5;		/* after "/proc" */
	const struct proc_entry *pe = NULL;
	struct proc_text *t;
	struct file *f;
	int err;

	if (*name == '\0') {
		err = may_open(S_IFDIR | 0555, flags, dir_only, -EACCES);
		return err ? ERR_PTR(err) : alloc_file(&proc_dir_fops, open_file_flags(flags), NULL);
	}
	name++;					/* the '/' */
	for (size_t i = 0; i < ARRAY_SIZE(proc_entries); i++) {
		size_t n = strlen(proc_entries[i].name);

		if (!strncmp(name, proc_entries[i].name, n) &&
		    (name[n] == '\0' || name[n] == '/')) {
			if (name[n] == '/')
				return ERR_PTR(-ENOTDIR);	/* "/proc/meminfo/x" */
			pe = &proc_entries[i];
			break;
		}
	}
	if (!pe)
		return ERR_PTR(flags & O_CREAT ? -EACCES : -ENOENT);
	err = may_open(S_IFREG | 0444, flags, dir_only, -EACCES);
	if (err)
		return ERR_PTR(err);
	t = kmalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->entry = pe;
	t->len = 0;
	t->data[0] = '\0';
	if (!(flags & O_PATH))
		pe->show(t);
	f = alloc_file(&proc_file_fops, open_file_flags(flags), t);
	if (IS_ERR(f))
		kfree(t);
	return f;
}

static ssize_t proc_read(struct file *f, char __user *buf, size_t count, u64 *pos)
{
	const struct proc_text *t = f->private_data;
	unsigned long n, left;

	if (*pos >= t->len || count == 0)
		return 0;
	n = MIN((u64)count, t->len - *pos);
	left = copy_to_user(buf, t->data + *pos, n);
	if (left == n)
		return -EFAULT;
	*pos += n - left;
	return n - left;
}

static ssize_t proc_read_kernel(struct file *f, void *buf, size_t count, u64 pos)
{
	const struct proc_text *t = f->private_data;
	size_t n;

	if (pos >= t->len)
		return 0;
	n = MIN((u64)count, t->len - pos);
	memcpy(buf, t->data + pos, n);
	return n;
}

static int proc_getattr(struct file *f, struct kstat *st)
{
	const struct proc_text *t = f->private_data;

	memset(st, 0, sizeof(*st));
	st->dev = PROC_DEV;
	st->nlink = 1;
	if (f->f_op == &proc_dir_fops) {
		st->ino = PROC_ROOT_INO;
		st->mode = S_IFDIR | 0555;
		st->nlink = 2;
	} else {
		st->ino = t->entry->ino;
		st->mode = S_IFREG | 0444;
		st->size = t->len;		/* Linux says 0; the snapshot's size is more useful */
	}
	return 0;
}

static void proc_release(struct file *f)
{
	kfree(f->private_data);
}

static ssize_t proc_dir_read(struct file *f, char __user *buf, size_t count, u64 *pos)
{
	return -EISDIR;
}

static ssize_t proc_dir_read_kernel(struct file *f, void *buf, size_t count, u64 pos)
{
	return -EISDIR;
}

const struct file_operations proc_file_fops = {
	.read = proc_read,
	.read_kernel = proc_read_kernel,
	.getattr = proc_getattr,
	.release = proc_release,
	.seekable = true,
};

const struct file_operations proc_dir_fops = {
	.read = proc_dir_read,
	.read_kernel = proc_dir_read_kernel,
	.getattr = proc_getattr,
	.seekable = true,
};

int proc_iterate(struct file *f, struct dir_context *ctx)
{
	if (ctx->pos == 0) {
		if (!ctx->actor(ctx, ".", 1, PROC_ROOT_INO, DT_DIR))
			return 0;
		ctx->pos++;
	}
	if (ctx->pos == 1) {
		if (!ctx->actor(ctx, "..", 2, 1, DT_DIR))	/* the initrd root */
			return 0;
		ctx->pos++;
	}
	while (ctx->pos - 2 < ARRAY_SIZE(proc_entries)) {
		const struct proc_entry *pe = &proc_entries[ctx->pos - 2];

		if (!ctx->actor(ctx, pe->name, strlen(pe->name), pe->ino, DT_REG))
			return 0;
		ctx->pos++;
	}
	return 0;
}
