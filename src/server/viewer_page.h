// The viewer's page for /viewer/{StudyInstanceUID} carries the study's first image.
//
// The app answers every viewer URL with the same index.html. For a study's viewer URL the server
// puts, at index.html's <!--systole:boot-poster--> marker, an <img> of the study's thumbnail at
// full size (/dicomweb/studies/{uid}/thumbnail?viewport=4096,4096: the first frame of the study's
// first instance with an image, in series then instance number order: the loop the viewer shows
// first). The browser fetches and paints it while the app's scripts load; the viewer's first cell
// then takes it over as its first frame (web/src/features/cine/boot-poster.ts). The image goes
// through the DICOMweb route like any other request (sign-in, study scope, audit); the page only
// repeats the UID of its own path, checked to be a UID. Not for ?format=png (a lossless review
// shows no JPEG-rendered frame first).
#pragma once

#include "protocols/http/http_types.h"

namespace systole::server {

// Rewrites `response` (the app page served for `request`) as above; any other response, path or
// page without the marker is left as it is.
void AddBootPoster(const http::HttpRequest& request, http::HttpResponse& response);

}  // namespace systole::server
