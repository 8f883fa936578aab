import { listPage, route, type Route } from '../http/routing';
import { SUPPORTED_IMAGE_FILTER } from '../query/filter-properties';

/**
 * Account_ListSupportedImages: the node images this service "runs" (tasks run on the host whatever the image), with
 * the node agent SKU a pool must name and the end of Batch support Azure announced, so clients that pick an image
 * from this list pick the current Ubuntu.
 */
const SUPPORTED_IMAGES = [
  {
    nodeAgentSKUId: 'batch.node.ubuntu 24.04',
    imageReference: { publisher: 'canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
    osType: 'linux',
    verificationType: 'verified',
  },
  {
    nodeAgentSKUId: 'batch.node.ubuntu 22.04',
    imageReference: { publisher: 'canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts', version: 'latest' },
    osType: 'linux',
    verificationType: 'verified',
    batchSupportEndOfLife: '2027-06-30T00:00:00.0000000Z',
  },
];

export const accountRoutes: Route[] = [
  route('GET', '/supportedimages', 'Account_ListSupportedImages', (_e, req) =>
    listPage(req, SUPPORTED_IMAGES, (image) => SUPPORTED_IMAGES.indexOf(image), () => true, (image) => image, 'supportedimages', SUPPORTED_IMAGE_FILTER),
  ),
];
