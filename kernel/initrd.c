/*
 * initrd.c - the read-only file tree built from the initrd at boot.
 *
 * GRUB loads the initrd as a multiboot2 module (`module2 /boot/initrd.cpio
 * initrd`); memblock has reserved its frames, so it stays where GRUB put
 * it and the kernel reads it through the direct map.  initrd_init() parses
 * it (kernel/cpio.c) into a tree of struct initrd_entry: one node per
 * directory and regular file, the file data left in place (a node points
 * into the archive: nothing is copied).  Symlinks, device nodes and other
 * types are counted and ignored.
 *
 * Tree rules, following Linux's initramfs unpacker:
 *   - a name's missing parent directories are created (mode 0755), so an
 *     archive need not list them;
 *   - a later entry with the same name replaces the earlier one (a file
 *     replacing a non-empty directory is refused and counted as ignored);
 *   - "/proc" always exists in the root, as the mount point the path code
 *     hands to kernel/proc.c, so `ls /` shows it.
 * Children keep archive order: that is the order getdents64 reports.
 *
 * If there is no module, or the archive is malformed, the kernel says so
 * in one line and goes on with an empty tree ("/" and "/proc").
 *
 * Invariants: the tree is built before anything can look at it and never
 * changes after (tests swap in their own tree with initrd_set_root() only
 * while no user process exists), so lookups take no lock; a node's data
 * lies inside the module, which is never freed.
 */
#include "kernel/fs_internal.h"
#include "kernel/cpio.h"
#include "kernel/err.h"
#include "kernel/errno.h"
#include "kernel/string.h"
#include "kernel/printk.h"
#include "kernel/layout.h"
#include "kernel/multiboot2.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/uaccess.h"

#define INITRD_DEV	MKDEV_USER(0, 1)	/* st_dev of every node */

extern struct boot_info boot_info;		/* kernel/main.c */

static struct initrd_fs boot_fs;
static struct initrd_fs *root_fs = &boot_fs;	/* root NULL until initrd_init */

/* ------------------------------------------------------------ the tree */

static void account(struct initrd_fs *fs, struct initrd_entry *e, int sign)
{
	if (S_ISDIR(e->mode)) {
		fs->nr_dirs += sign;
		if (e->parent)
			e->parent->nr_subdirs += sign;
	} else {
		fs->nr_files += sign;
		fs->file_bytes += sign * (s64)e->size;
	}
}

static struct initrd_entry *new_entry(struct initrd_fs *fs, struct initrd_entry *parent,
				      const char *name, size_t len, u32 mode)
{
	struct initrd_entry *e = kzalloc(sizeof(*e) + len + 1, GFP_KERNEL);

	if (!e)
		return NULL;
	memcpy(e->name, name, len);
	e->namelen = len;
	e->mode = mode;
	e->ino = fs->next_ino++;
	e->parent = parent;
	if (parent) {
		if (parent->last_child)
			parent->last_child->next = e;
		else
			parent->children = e;
		parent->last_child = e;
	}
	account(fs, e, 1);
	return e;
}

static struct initrd_entry *find_child(const struct initrd_entry *dir, const char *name,
				       size_t len)
{
	for (struct initrd_entry *c = dir->children; c; c = c->next)
		if (c->namelen == len && !memcmp(c->name, name, len))
			return c;
	return NULL;
}

/* Add or replace the node for one archive entry.  -ENOTDIR / -EEXIST mean
 * "in the way" (the entry is ignored), -ENOMEM ends the build. */
static int insert(struct initrd_fs *fs, const struct cpio_entry *ce)
{
	const char *p = ce->name + 1;		/* normalised: starts with '/' */
	struct initrd_entry *dir = fs->root, *e = dir;
	u32 type = ce->type == CPIO_DIR ? S_IFDIR : S_IFREG;

	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		e = find_child(dir, p, len);
		if (!slash) {
			if (!e && !(e = new_entry(fs, dir, p, len, type | 0755)))
				return -ENOMEM;
			break;
		}
		if (!e && !(e = new_entry(fs, dir, p, len, S_IFDIR | 0755)))
			return -ENOMEM;
		if (!S_ISDIR(e->mode))
			return -ENOTDIR;	/* "a/b" where "a" is a file */
		dir = e;
		p = slash + 1;
	}
	if (e == fs->root && type != S_IFDIR)
		return -ENOTDIR;		/* "." must be a directory */
	if (S_ISDIR(e->mode) && e->children && type != S_IFDIR)
		return -EEXIST;
	account(fs, e, -1);
	e->mode = type | (ce->mode & 07777);
	e->uid = ce->uid;
	e->gid = ce->gid;
	e->mtime = ce->mtime;
	e->size = ce->size;
	e->data = ce->data;
	account(fs, e, 1);
	return 0;
}

void initrd_fs_free(struct initrd_fs *fs)
{
	struct initrd_entry *e = fs->root;

	/* post-order without recursion: unhook a child and descend into it;
	 * a node with no children left is freed and we climb to its parent */
	while (e) {
		struct initrd_entry *c = e->children, *parent;

		if (c) {
			e->children = c->next;
			e = c;
			continue;
		}
		parent = e->parent;
		kfree(e);
		e = parent;
	}
	memset(fs, 0, sizeof(*fs));
}

int initrd_fs_build(struct initrd_fs *fs, const void *archive, size_t size,
		    const char **why, size_t *where)
{
	struct cpio_entry *ce = NULL;
	struct cpio_reader r;
	int rc = 0, err;

	memset(fs, 0, sizeof(*fs));
	fs->next_ino = 1;			/* the root is inode 1, as in Linux */
	fs->root = new_entry(fs, NULL, "", 0, S_IFDIR | 0755);
	if (!fs->root)
		return -ENOMEM;
	if (archive) {
		ce = kmalloc(sizeof(*ce), GFP_KERNEL);	/* 1 KiB: not on the stack */
		if (!ce)
			goto nomem;
		cpio_init(&r, archive, size);
		while ((rc = cpio_next(&r, ce)) == 1) {
			if (ce->type == CPIO_OTHER) {
				fs->nr_ignored++;
				continue;
			}
			err = insert(fs, ce);
			if (err == -ENOMEM)
				goto nomem;
			if (err)
				fs->nr_ignored++;
		}
		kfree(ce);
		if (rc < 0) {
			if (why)
				*why = r.error;
			if (where)
				*where = r.error_offset;
			initrd_fs_free(fs);
			return -EINVAL;
		}
	}
	if (!find_child(fs->root, "proc", 4) &&
	    !new_entry(fs, fs->root, "proc", 4, S_IFDIR | 0555))
		goto nomem;
	return 0;
nomem:
	kfree(ce);
	initrd_fs_free(fs);
	return -ENOMEM;
}

struct initrd_fs *initrd_set_root(struct initrd_fs *fs)
{
	struct initrd_fs *old = root_fs;

	WRITE_ONCE(root_fs, fs);
	return old;
}

/* ------------------------------------------------------------ lookup */

static int resolve(const char *path, size_t len, struct initrd_entry **out)
{
	struct initrd_entry *e = READ_ONCE(root_fs)->root;
	size_t i = 1;				/* normalised: path[0] == '/' */

	if (!e)
		return -ENOENT;
	while (i < len) {
		size_t start = i;

		while (i < len && path[i] != '/')
			i++;
		if (!S_ISDIR(e->mode))
			return -ENOTDIR;
		e = find_child(e, path + start, i - start);
		if (!e)
			return -ENOENT;
		i++;				/* the '/' */
	}
	*out = e;
	return 0;
}

int initrd_resolve(const char *path, struct initrd_entry **out)
{
	if (path[0] != '/')
		return -ENOENT;
	return resolve(path, strlen(path), out);
}

long initrd_path(const struct initrd_entry *e, char *buf, size_t size)
{
	size_t len = 0, at;

	for (const struct initrd_entry *p = e; p->parent; p = p->parent)
		len += p->namelen + 1;
	if (len == 0)
		len = 1;			/* the root: "/" */
	if (len + 1 > size)
		return -ENAMETOOLONG;
	buf[len] = '\0';
	buf[0] = '/';
	at = len;
	for (const struct initrd_entry *p = e; p->parent; p = p->parent) {
		at -= p->namelen;
		memcpy(buf + at, p->name, p->namelen);
		buf[--at] = '/';
	}
	return len;
}

struct file *initrd_open(const char *path, int flags, bool dir_only)
{
	struct initrd_entry *e;
	struct file *f;
	int err = initrd_resolve(path, &e);

	if (err == -ENOENT && (flags & O_CREAT)) {
		/* creating needs the parent directory; it exists, but the
		 * file system is read-only */
		const char *slash = path + strlen(path);
		struct initrd_entry *parent;

		while (slash > path && *slash != '/')
			slash--;

		err = resolve(path, slash > path ? (size_t)(slash - path) : 1, &parent);
		if (!err)
			err = !S_ISDIR(parent->mode) ? -ENOTDIR : dir_only ? -EISDIR : -EROFS;
	}
	if (err)
		return ERR_PTR(err);
	err = may_open(e->mode, flags, dir_only, -EROFS);
	if (err)
		return ERR_PTR(err);
	f = alloc_file(S_ISDIR(e->mode) ? &initrd_dir_fops : &initrd_file_fops,
		       open_file_flags(flags), e);
	return f;
}

/* ------------------------------------------------------------ files */

static ssize_t initrd_read(struct file *f, char __user *buf, size_t count, u64 *pos)
{
	const struct initrd_entry *e = f->private_data;
	unsigned long n, left;

	if (*pos >= e->size || count == 0)
		return 0;
	n = MIN((u64)count, e->size - *pos);
	left = copy_to_user(buf, e->data + *pos, n);
	if (left == n)
		return -EFAULT;
	n -= left;			/* a partial copy counts, like Linux */
	*pos += n;
	return n;
}

static ssize_t initrd_read_kernel(struct file *f, void *buf, size_t count, u64 pos)
{
	const struct initrd_entry *e = f->private_data;
	size_t n;

	if (pos >= e->size)
		return 0;
	n = MIN((u64)count, e->size - pos);
	memcpy(buf, e->data + pos, n);
	return n;
}

static ssize_t initrd_dir_read(struct file *f, char __user *buf, size_t count, u64 *pos)
{
	return -EISDIR;
}

static ssize_t initrd_dir_read_kernel(struct file *f, void *buf, size_t count, u64 pos)
{
	return -EISDIR;
}

static int initrd_getattr(struct file *f, struct kstat *st)
{
	const struct initrd_entry *e = f->private_data;

	memset(st, 0, sizeof(*st));
	st->dev = INITRD_DEV;
	st->ino = e->ino;
	st->mode = e->mode;
	st->nlink = S_ISDIR(e->mode) ? 2 + e->nr_subdirs : 1;
	st->uid = e->uid;
	st->gid = e->gid;
	st->size = S_ISDIR(e->mode) ? 0 : (s64)e->size;
	st->mtime = e->mtime;
	return 0;
}

const struct file_operations initrd_file_fops = {
	.read = initrd_read,
	.read_kernel = initrd_read_kernel,
	.getattr = initrd_getattr,
	.seekable = true,
};

const struct file_operations initrd_dir_fops = {
	.read = initrd_dir_read,
	.read_kernel = initrd_dir_read_kernel,
	.getattr = initrd_getattr,
	.seekable = true,
};

int initrd_iterate(struct file *f, struct dir_context *ctx)
{
	const struct initrd_entry *dir = f->private_data, *c;
	u64 k;

	if (ctx->pos == 0) {
		if (!ctx->actor(ctx, ".", 1, dir->ino, DT_DIR))
			return 0;
		ctx->pos++;
	}
	if (ctx->pos == 1) {
		const struct initrd_entry *up = dir->parent ? dir->parent : dir;

		if (!ctx->actor(ctx, "..", 2, up->ino, DT_DIR))
			return 0;
		ctx->pos++;
	}
	for (c = dir->children, k = ctx->pos - 2; c && k; c = c->next)
		k--;
	for (; c; c = c->next) {
		if (!ctx->actor(ctx, c->name, c->namelen, c->ino, dt_type(c->mode)))
			return 0;
		ctx->pos++;
	}
	return 0;
}

/* ------------------------------------------------------------ boot */

/* The module named "initrd" (a word of its string: GRUB passes the path
 * too), else the first one. */
static const struct boot_module *pick_module(void)
{
	for (unsigned i = 0; i < boot_info.nr_modules; i++) {
		const char *s = boot_info.modules[i].name;

		while (*s) {
			size_t n = 0;

			while (*s == ' ')
				s++;
			while (s[n] && s[n] != ' ')
				n++;
			if (n == 6 && !memcmp(s, "initrd", 6))
				return &boot_info.modules[i];
			s += n;
		}
	}
	return boot_info.nr_modules ? &boot_info.modules[0] : NULL;
}

void initrd_init(void)
{
	const struct boot_module *m = pick_module();
	const u8 *archive = NULL;
	const char *why = "?";
	size_t size = 0, where = 0;
	int err;

	if (!m) {
		pr_info("initrd: none (no multiboot2 module); the tree is only / and /proc\n");
	} else if (m->end > max_pfn << PAGE_SHIFT) {
		pr_err("initrd: module %#lx-%#lx lies outside RAM; continuing without files\n",
		       (unsigned long)m->start, (unsigned long)m->end);
	} else {
		archive = phys_to_virt(m->start);
		size = m->end - m->start;
		if (size >= 2 && archive[0] == 0x1f && archive[1] == 0x8b) {
			pr_err("initrd: the module is gzip-compressed; build it with "
			       "\"cpio -o -H newc\" and no compression. Continuing without files\n");
			archive = NULL;
		}
	}
	err = initrd_fs_build(&boot_fs, archive, size, &why, &where);
	if (err == -EINVAL) {
		pr_err("initrd: malformed archive: %s (entry at offset %zu of %zu); "
		       "continuing without files\n", why, where, size);
		archive = NULL;
		err = initrd_fs_build(&boot_fs, NULL, 0, NULL, NULL);
	}
	if (err) {
		pr_err("initrd: out of memory building the tree (%d)\n", err);
		return;
	}
	if (!archive)
		return;
	pr_info("initrd: %u files, %lu KiB\n", boot_fs.nr_files,
		(unsigned long)((boot_fs.file_bytes + 1023) / 1024));
	if (boot_fs.nr_ignored)
		pr_info("initrd: %u entries ignored (symlinks, devices, or in the way)\n",
			boot_fs.nr_ignored);
}
