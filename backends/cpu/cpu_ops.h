/* The CPU implementation of every op in the IR. Each op is called by all threads of a task
 * together and does the share of work (ith, nth) gives it. */
#ifndef GLINT_CPU_OPS_H
#define GLINT_CPU_OPS_H

#include "kernels.h"

/* Whether the CPU runs this node (types and shapes it implements). */
bool gl_cpu_op_supported(const gl_node *node);
/* Shared scratch the node needs. */
size_t gl_cpu_op_wsize(const gl_node *node, int nth);
/* Runs one node on thread (t->ith of t->nth). */
void gl_cpu_op_run(const gl_cpu_task *t, const gl_node *node);

#endif
