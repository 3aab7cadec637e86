/* Empty translation unit: the worker's meson.build links a library target of this subproject
   with link_whole; the real library comes from Debian through the subproject's dependency. */
typedef int vas_frame_export_empty_standin;
