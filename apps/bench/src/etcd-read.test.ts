// etcd's /metrics parsed by gRPC method: only grpc_server_msg_received_total counts, summed
// over services and stream types; other series and malformed lines are ignored.
import { describe, expect, it } from 'vitest';
import { parseReceivedByMethod } from './etcd-read.ts';

describe('parseReceivedByMethod', () => {
  it('sums grpc_server_msg_received_total per grpc_method', () => {
    const page = [
      '# HELP grpc_server_msg_received_total Total number of RPC stream messages received on the server.',
      '# TYPE grpc_server_msg_received_total counter',
      'grpc_server_msg_received_total{grpc_method="LeaseKeepAlive",grpc_service="etcdserverpb.Lease",grpc_type="bidi_stream"} 42',
      'grpc_server_msg_received_total{grpc_method="Range",grpc_service="etcdserverpb.KV",grpc_type="unary"} 3',
      'grpc_server_msg_received_total{grpc_method="Range",grpc_service="other.KV",grpc_type="unary"} 2',
      'grpc_server_msg_received_total{grpc_method="Txn",grpc_service="etcdserverpb.KV",grpc_type="unary"} 0',
      'grpc_server_handled_total{grpc_code="OK",grpc_method="Range",grpc_service="etcdserverpb.KV",grpc_type="unary"} 99',
      'grpc_server_msg_received_total{grpc_service="x"} 7',
      'grpc_server_msg_received_total{grpc_method="Watch"} NaN-ish',
    ].join('\n');
    expect([...parseReceivedByMethod(page)]).toEqual([
      ['LeaseKeepAlive', 42],
      ['Range', 5],
      ['Txn', 0],
    ]);
  });
});
