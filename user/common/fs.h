/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* File system helpers the daemon's parts share. */
#ifndef SLUICE_COMMON_FS_H
#define SLUICE_COMMON_FS_H

/* mkdir -p (0755) of the directory `path` is in; existing parts are
 * left as they are.  0, -ENOTDIR when a part is not a directory, or
 * -errno. */
int fs_mkdirs_for(const char *path);

#endif /* SLUICE_COMMON_FS_H */
