/* proc: helpers for suites that run a program: temp directories, paths in them, running a
 * program with arguments and its stdout/stderr sent to files, reading a file whole. Every
 * failure is a Check assertion, so they are for use inside tests and fixtures only. */
#ifndef WXAI_PROC_H
#define WXAI_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* Create a fresh directory /tmp/wxai-<tag>-XXXXXX; its path goes into dir (caller's buffer). */
void proc_tmpdir(const char *tag, char *dir, size_t cap);
/* rm -rf dir. */
void proc_rmdir(const char *dir);
/* "dir/name" in a ring of 32 buffers (valid for the next 31 calls; not owned by the caller). */
const char *proc_path(const char *dir, const char *name);
/* Start bin with args (NULL-terminated, at most 45), stdout and stderr truncated into
 * out_path and err_path. Returns the child's pid. */
pid_t proc_spawn(const char *bin, const char *const *args, const char *out_path,
                 const char *err_path);
/* Wait for pid; asserts it exited rather than died of a signal. Returns its exit status. */
int proc_wait(pid_t pid);
/* proc_spawn then proc_wait. */
int proc_run(const char *bin, const char *const *args, const char *out_path, const char *err_path);
/* Whole file, NUL-terminated; the caller frees it. Asserts the file opens. */
char *proc_slurp(const char *path);

#endif
