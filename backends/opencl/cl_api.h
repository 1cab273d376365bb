/* The OpenCL entry points Glint uses, as one table (like volk for Vulkan): filled from the
 * linked ICD loader's symbols on Linux, or from a library opened with dlopen on Android
 * (GLINT_CL_DLOPEN). Every file of the backend includes this through cl_internal.h, and the
 * macros below send its cl* calls through the table, so op files call clSetKernelArg() etc.
 * as usual and still need no link-time libOpenCL on Android. */
#ifndef GLINT_CL_API_H
#define GLINT_CL_API_H

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 120
#endif
#include <CL/cl.h>

#include "common.h"

/* X(name): every entry point of OpenCL 1.2 the backend and its ops may call. */
#define GL_CL_API_LIST(X)                                                                          \
    X(clGetPlatformIDs)                                                                            \
    X(clGetPlatformInfo)                                                                           \
    X(clGetDeviceIDs)                                                                              \
    X(clGetDeviceInfo)                                                                             \
    X(clCreateContext)                                                                             \
    X(clReleaseContext)                                                                            \
    X(clCreateCommandQueue)                                                                        \
    X(clReleaseCommandQueue)                                                                       \
    X(clCreateBuffer)                                                                              \
    X(clCreateSubBuffer)                                                                           \
    X(clCreateImage)                                                                               \
    X(clGetSupportedImageFormats)                                                                  \
    X(clRetainMemObject)                                                                           \
    X(clReleaseMemObject)                                                                          \
    X(clGetMemObjectInfo)                                                                          \
    X(clCreateProgramWithSource)                                                                   \
    X(clCreateProgramWithBinary)                                                                   \
    X(clBuildProgram)                                                                              \
    X(clGetProgramInfo)                                                                            \
    X(clGetProgramBuildInfo)                                                                       \
    X(clReleaseProgram)                                                                            \
    X(clCreateKernel)                                                                              \
    X(clReleaseKernel)                                                                             \
    X(clSetKernelArg)                                                                              \
    X(clGetKernelInfo)                                                                             \
    X(clGetKernelWorkGroupInfo)                                                                    \
    X(clWaitForEvents)                                                                             \
    X(clGetEventInfo)                                                                              \
    X(clReleaseEvent)                                                                              \
    X(clGetEventProfilingInfo)                                                                     \
    X(clFlush)                                                                                     \
    X(clFinish)                                                                                    \
    X(clEnqueueReadBuffer)                                                                         \
    X(clEnqueueWriteBuffer)                                                                        \
    X(clEnqueueCopyBuffer)                                                                         \
    X(clEnqueueFillBuffer)                                                                         \
    X(clEnqueueMapBuffer)                                                                          \
    X(clEnqueueUnmapMemObject)                                                                     \
    X(clEnqueueNDRangeKernel)                                                                      \
    X(clEnqueueMarkerWithWaitList)                                                                 \
    X(clEnqueueBarrierWithWaitList)                                                                \
    X(clGetExtensionFunctionAddressForPlatform)

typedef struct gl_cl_api_table {
#define GL_CL_FN_(name) __typeof__(name) *name;
    GL_CL_API_LIST(GL_CL_FN_)
#undef GL_CL_FN_
} gl_cl_api_table;

/* Process-wide: one OpenCL library per process. Filled by gl_cl_api_load. */
extern gl_cl_api_table gl_cl_api;

/* Fills the table once (later calls return the first result). BACKEND_UNAVAILABLE with a
 * message naming what was tried when no library, or one without OpenCL 1.2, is found. */
glint_status gl_cl_api_load(gl_err *err);

/* Where the entry points came from: "linked" or the path given to dlopen. */
const char *gl_cl_api_source(void);

#ifndef GL_CL_API_NO_MACROS
#define GL_CL_CALL_(name) (gl_cl_api.name)
#define clGetPlatformIDs GL_CL_CALL_(clGetPlatformIDs)
#define clGetPlatformInfo GL_CL_CALL_(clGetPlatformInfo)
#define clGetDeviceIDs GL_CL_CALL_(clGetDeviceIDs)
#define clGetDeviceInfo GL_CL_CALL_(clGetDeviceInfo)
#define clCreateContext GL_CL_CALL_(clCreateContext)
#define clReleaseContext GL_CL_CALL_(clReleaseContext)
#define clCreateCommandQueue GL_CL_CALL_(clCreateCommandQueue)
#define clReleaseCommandQueue GL_CL_CALL_(clReleaseCommandQueue)
#define clCreateBuffer GL_CL_CALL_(clCreateBuffer)
#define clCreateSubBuffer GL_CL_CALL_(clCreateSubBuffer)
#define clCreateImage GL_CL_CALL_(clCreateImage)
#define clGetSupportedImageFormats GL_CL_CALL_(clGetSupportedImageFormats)
#define clRetainMemObject GL_CL_CALL_(clRetainMemObject)
#define clReleaseMemObject GL_CL_CALL_(clReleaseMemObject)
#define clGetMemObjectInfo GL_CL_CALL_(clGetMemObjectInfo)
#define clCreateProgramWithSource GL_CL_CALL_(clCreateProgramWithSource)
#define clCreateProgramWithBinary GL_CL_CALL_(clCreateProgramWithBinary)
#define clBuildProgram GL_CL_CALL_(clBuildProgram)
#define clGetProgramInfo GL_CL_CALL_(clGetProgramInfo)
#define clGetProgramBuildInfo GL_CL_CALL_(clGetProgramBuildInfo)
#define clReleaseProgram GL_CL_CALL_(clReleaseProgram)
#define clCreateKernel GL_CL_CALL_(clCreateKernel)
#define clReleaseKernel GL_CL_CALL_(clReleaseKernel)
#define clSetKernelArg GL_CL_CALL_(clSetKernelArg)
#define clGetKernelInfo GL_CL_CALL_(clGetKernelInfo)
#define clGetKernelWorkGroupInfo GL_CL_CALL_(clGetKernelWorkGroupInfo)
#define clWaitForEvents GL_CL_CALL_(clWaitForEvents)
#define clGetEventInfo GL_CL_CALL_(clGetEventInfo)
#define clReleaseEvent GL_CL_CALL_(clReleaseEvent)
#define clGetEventProfilingInfo GL_CL_CALL_(clGetEventProfilingInfo)
#define clFlush GL_CL_CALL_(clFlush)
#define clFinish GL_CL_CALL_(clFinish)
#define clEnqueueReadBuffer GL_CL_CALL_(clEnqueueReadBuffer)
#define clEnqueueWriteBuffer GL_CL_CALL_(clEnqueueWriteBuffer)
#define clEnqueueCopyBuffer GL_CL_CALL_(clEnqueueCopyBuffer)
#define clEnqueueFillBuffer GL_CL_CALL_(clEnqueueFillBuffer)
#define clEnqueueMapBuffer GL_CL_CALL_(clEnqueueMapBuffer)
#define clEnqueueUnmapMemObject GL_CL_CALL_(clEnqueueUnmapMemObject)
#define clEnqueueNDRangeKernel GL_CL_CALL_(clEnqueueNDRangeKernel)
#define clEnqueueMarkerWithWaitList GL_CL_CALL_(clEnqueueMarkerWithWaitList)
#define clEnqueueBarrierWithWaitList GL_CL_CALL_(clEnqueueBarrierWithWaitList)
#define clGetExtensionFunctionAddressForPlatform                                                   \
    GL_CL_CALL_(clGetExtensionFunctionAddressForPlatform)
#endif

#endif
