//! The edge Worker (filled by the edge issue).
