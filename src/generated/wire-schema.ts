// Generated from proto/*.proto by test/proto/wire-schema.test.ts (UPDATE_WIRE_SCHEMA=1); do not edit.
// Per message: field number -> wire type, ":Type" for a nested message, "r" for a repeated
// scalar that may also arrive packed. Read by src/rpc/protobuf-check.ts.
export const WIRE_MESSAGES: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  "google.protobuf.Empty": {},
  "grpc.AddARPNeighborsRequest": {
    "1": "2:grpc.ARPNeighbors"
  },
  "grpc.AgentDetails": {
    "1": "2",
    "2": "0",
    "3": "2",
    "4": "2",
    "5": "0"
  },
  "grpc.ARPNeighbors": {
    "1": "2:types.ARPNeighbor"
  },
  "grpc.BlkioStats": {
    "1": "2:grpc.BlkioStatsEntry",
    "2": "2:grpc.BlkioStatsEntry",
    "3": "2:grpc.BlkioStatsEntry",
    "4": "2:grpc.BlkioStatsEntry",
    "5": "2:grpc.BlkioStatsEntry",
    "6": "2:grpc.BlkioStatsEntry",
    "7": "2:grpc.BlkioStatsEntry",
    "8": "2:grpc.BlkioStatsEntry"
  },
  "grpc.BlkioStatsEntry": {
    "1": "0",
    "2": "0",
    "3": "2",
    "4": "0"
  },
  "grpc.Box": {
    "1": "0",
    "2": "0"
  },
  "grpc.CgroupStats": {
    "1": "2:grpc.CpuStats",
    "2": "2:grpc.MemoryStats",
    "3": "2:grpc.PidsStats",
    "4": "2:grpc.BlkioStats",
    "5": "2:grpc.CgroupStats.hugetlb_statsEntry"
  },
  "grpc.CgroupStats.hugetlb_statsEntry": {
    "1": "2",
    "2": "2:grpc.HugetlbStats"
  },
  "grpc.CheckRequest": {
    "1": "2"
  },
  "grpc.CloseStdinRequest": {
    "1": "2",
    "2": "2"
  },
  "grpc.CopyFileRequest": {
    "1": "2",
    "2": "0",
    "3": "0",
    "4": "0",
    "5": "0",
    "6": "0",
    "7": "0",
    "8": "2"
  },
  "grpc.CpuStats": {
    "1": "2:grpc.CpuUsage",
    "2": "2:grpc.ThrottlingData"
  },
  "grpc.CpuUsage": {
    "1": "0",
    "2": "0r",
    "3": "0",
    "4": "0"
  },
  "grpc.CreateContainerRequest": {
    "1": "2",
    "2": "2",
    "3": "2:grpc.StringUser",
    "4": "2:grpc.Device",
    "5": "2:grpc.Storage",
    "6": "2:grpc.Spec",
    "7": "0",
    "8": "0"
  },
  "grpc.CreateSandboxRequest": {
    "1": "2",
    "2": "2",
    "3": "2:grpc.Storage",
    "4": "0",
    "5": "2",
    "6": "2",
    "7": "2:grpc.KernelModule"
  },
  "grpc.DestroySandboxRequest": {},
  "grpc.Device": {
    "1": "2",
    "2": "2",
    "3": "2",
    "4": "2",
    "5": "2"
  },
  "grpc.ExecProcessRequest": {
    "1": "2",
    "2": "2",
    "3": "2:grpc.StringUser",
    "4": "2:grpc.Process"
  },
  "grpc.GetOOMEventRequest": {},
  "grpc.GuestDetailsRequest": {
    "1": "0",
    "2": "0"
  },
  "grpc.GuestDetailsResponse": {
    "1": "0",
    "2": "2:grpc.AgentDetails",
    "3": "0"
  },
  "grpc.HealthCheckResponse": {
    "1": "0"
  },
  "grpc.Hook": {
    "1": "2",
    "2": "2",
    "3": "2",
    "4": "0"
  },
  "grpc.Hooks": {
    "1": "2:grpc.Hook",
    "2": "2:grpc.Hook",
    "3": "2:grpc.Hook"
  },
  "grpc.HugetlbStats": {
    "1": "0",
    "2": "0",
    "3": "0"
  },
  "grpc.Interfaces": {
    "1": "2:types.Interface"
  },
  "grpc.KernelModule": {
    "1": "2",
    "2": "2"
  },
  "grpc.Linux": {
    "1": "2:grpc.LinuxIDMapping",
    "2": "2:grpc.LinuxIDMapping",
    "3": "2:grpc.Linux.SysctlEntry",
    "4": "2:grpc.LinuxResources",
    "5": "2",
    "6": "2:grpc.LinuxNamespace",
    "7": "2:grpc.LinuxDevice",
    "8": "2:grpc.LinuxSeccomp",
    "9": "2",
    "10": "2",
    "11": "2",
    "12": "2",
    "13": "2:grpc.LinuxIntelRdt"
  },
  "grpc.Linux.SysctlEntry": {
    "1": "2",
    "2": "2"
  },
  "grpc.LinuxBlockIO": {
    "1": "0",
    "2": "0",
    "3": "2:grpc.LinuxWeightDevice",
    "4": "2:grpc.LinuxThrottleDevice",
    "5": "2:grpc.LinuxThrottleDevice",
    "6": "2:grpc.LinuxThrottleDevice",
    "7": "2:grpc.LinuxThrottleDevice"
  },
  "grpc.LinuxCapabilities": {
    "1": "2",
    "2": "2",
    "3": "2",
    "4": "2",
    "5": "2"
  },
  "grpc.LinuxCPU": {
    "1": "0",
    "2": "0",
    "3": "0",
    "4": "0",
    "5": "0",
    "6": "2",
    "7": "2"
  },
  "grpc.LinuxDevice": {
    "1": "2",
    "2": "2",
    "3": "0",
    "4": "0",
    "5": "0",
    "6": "0",
    "7": "0"
  },
  "grpc.LinuxDeviceCgroup": {
    "1": "0",
    "2": "2",
    "3": "0",
    "4": "0",
    "5": "2"
  },
  "grpc.LinuxHugepageLimit": {
    "1": "2",
    "2": "0"
  },
  "grpc.LinuxIDMapping": {
    "1": "0",
    "2": "0",
    "3": "0"
  },
  "grpc.LinuxIntelRdt": {
    "1": "2"
  },
  "grpc.LinuxInterfacePriority": {
    "1": "2",
    "2": "0"
  },
  "grpc.LinuxMemory": {
    "1": "0",
    "2": "0",
    "3": "0",
    "4": "0",
    "5": "0",
    "6": "0",
    "7": "0"
  },
  "grpc.LinuxNamespace": {
    "1": "2",
    "2": "2"
  },
  "grpc.LinuxNetwork": {
    "1": "0",
    "2": "2:grpc.LinuxInterfacePriority"
  },
  "grpc.LinuxPids": {
    "1": "0"
  },
  "grpc.LinuxResources": {
    "1": "2:grpc.LinuxDeviceCgroup",
    "2": "2:grpc.LinuxMemory",
    "3": "2:grpc.LinuxCPU",
    "4": "2:grpc.LinuxPids",
    "5": "2:grpc.LinuxBlockIO",
    "6": "2:grpc.LinuxHugepageLimit",
    "7": "2:grpc.LinuxNetwork"
  },
  "grpc.LinuxSeccomp": {
    "1": "2",
    "2": "2",
    "3": "2:grpc.LinuxSyscall"
  },
  "grpc.LinuxSeccompArg": {
    "1": "0",
    "2": "0",
    "3": "0",
    "4": "2"
  },
  "grpc.LinuxSyscall": {
    "1": "2",
    "2": "2",
    "3": "2:grpc.LinuxSeccompArg"
  },
  "grpc.LinuxThrottleDevice": {
    "1": "0",
    "2": "0",
    "3": "0"
  },
  "grpc.LinuxWeightDevice": {
    "1": "0",
    "2": "0",
    "3": "0",
    "4": "0"
  },
  "grpc.ListInterfacesRequest": {},
  "grpc.ListProcessesRequest": {
    "1": "2",
    "2": "2",
    "3": "2"
  },
  "grpc.ListProcessesResponse": {
    "1": "2"
  },
  "grpc.ListRoutesRequest": {},
  "grpc.MemHotplugByProbeRequest": {
    "1": "0r"
  },
  "grpc.MemoryData": {
    "1": "0",
    "2": "0",
    "3": "0",
    "4": "0"
  },
  "grpc.MemoryStats": {
    "1": "0",
    "2": "2:grpc.MemoryData",
    "3": "2:grpc.MemoryData",
    "4": "2:grpc.MemoryData",
    "5": "0",
    "6": "2:grpc.MemoryStats.statsEntry"
  },
  "grpc.MemoryStats.statsEntry": {
    "1": "2",
    "2": "0"
  },
  "grpc.Mount": {
    "1": "2",
    "2": "2",
    "3": "2",
    "4": "2"
  },
  "grpc.NetworkStats": {
    "1": "2",
    "2": "0",
    "3": "0",
    "4": "0",
    "5": "0",
    "6": "0",
    "7": "0",
    "8": "0",
    "9": "0"
  },
  "grpc.OnlineCPUMemRequest": {
    "1": "0",
    "2": "0",
    "3": "0"
  },
  "grpc.OOMEvent": {
    "1": "2"
  },
  "grpc.PauseContainerRequest": {
    "1": "2"
  },
  "grpc.PidsStats": {
    "1": "0",
    "2": "0"
  },
  "grpc.POSIXRlimit": {
    "1": "2",
    "2": "0",
    "3": "0"
  },
  "grpc.Process": {
    "1": "0",
    "2": "2:grpc.Box",
    "3": "2:grpc.User",
    "4": "2",
    "5": "2",
    "6": "2",
    "7": "2:grpc.LinuxCapabilities",
    "8": "2:grpc.POSIXRlimit",
    "9": "0",
    "10": "2",
    "11": "0",
    "12": "2"
  },
  "grpc.ReadStreamRequest": {
    "1": "2",
    "2": "2",
    "3": "0"
  },
  "grpc.ReadStreamResponse": {
    "1": "2"
  },
  "grpc.RemoveContainerRequest": {
    "1": "2",
    "2": "0"
  },
  "grpc.ReseedRandomDevRequest": {
    "2": "2"
  },
  "grpc.ResumeContainerRequest": {
    "1": "2"
  },
  "grpc.Root": {
    "1": "2",
    "2": "0"
  },
  "grpc.Routes": {
    "1": "2:types.Route"
  },
  "grpc.SetGuestDateTimeRequest": {
    "1": "0",
    "2": "0"
  },
  "grpc.SignalProcessRequest": {
    "1": "2",
    "2": "2",
    "3": "0"
  },
  "grpc.Solaris": {
    "1": "2"
  },
  "grpc.Spec": {
    "1": "2",
    "2": "2:grpc.Process",
    "3": "2:grpc.Root",
    "4": "2",
    "5": "2:grpc.Mount",
    "6": "2:grpc.Hooks",
    "7": "2:grpc.Spec.AnnotationsEntry",
    "8": "2:grpc.Linux",
    "9": "2:grpc.Solaris",
    "10": "2:grpc.Windows"
  },
  "grpc.Spec.AnnotationsEntry": {
    "1": "2",
    "2": "2"
  },
  "grpc.StartContainerRequest": {
    "1": "2"
  },
  "grpc.StartTracingRequest": {},
  "grpc.StatsContainerRequest": {
    "1": "2"
  },
  "grpc.StatsContainerResponse": {
    "1": "2:grpc.CgroupStats",
    "2": "2:grpc.NetworkStats"
  },
  "grpc.StopTracingRequest": {},
  "grpc.Storage": {
    "1": "2",
    "2": "2",
    "3": "2",
    "4": "2",
    "5": "2",
    "6": "2"
  },
  "grpc.StringUser": {
    "1": "2",
    "2": "2",
    "3": "2"
  },
  "grpc.ThrottlingData": {
    "1": "0",
    "2": "0",
    "3": "0"
  },
  "grpc.TtyWinResizeRequest": {
    "1": "2",
    "2": "2",
    "3": "0",
    "4": "0"
  },
  "grpc.UpdateContainerRequest": {
    "1": "2",
    "2": "2:grpc.LinuxResources"
  },
  "grpc.UpdateInterfaceRequest": {
    "1": "2:types.Interface"
  },
  "grpc.UpdateRoutesRequest": {
    "1": "2:grpc.Routes"
  },
  "grpc.User": {
    "1": "0",
    "2": "0",
    "3": "0r",
    "4": "2"
  },
  "grpc.VersionCheckResponse": {
    "1": "2",
    "2": "2"
  },
  "grpc.WaitProcessRequest": {
    "1": "2",
    "2": "2"
  },
  "grpc.WaitProcessResponse": {
    "1": "0"
  },
  "grpc.Windows": {
    "1": "2"
  },
  "grpc.WriteStreamRequest": {
    "1": "2",
    "2": "2",
    "3": "2"
  },
  "grpc.WriteStreamResponse": {
    "1": "0"
  },
  "types.ARPNeighbor": {
    "1": "2:types.IPAddress",
    "2": "2",
    "3": "2",
    "4": "0",
    "5": "0"
  },
  "types.Interface": {
    "1": "2",
    "2": "2",
    "3": "2:types.IPAddress",
    "4": "0",
    "5": "2",
    "6": "2",
    "7": "2",
    "8": "0"
  },
  "types.IPAddress": {
    "1": "0",
    "2": "2",
    "3": "2"
  },
  "types.Route": {
    "1": "2",
    "2": "2",
    "3": "2",
    "4": "2",
    "5": "0"
  }
};

export const REQUEST_TYPES: Readonly<Record<string, string>> = {
  "/grpc.AgentService/AddARPNeighbors": "grpc.AddARPNeighborsRequest",
  "/grpc.AgentService/CloseStdin": "grpc.CloseStdinRequest",
  "/grpc.AgentService/CopyFile": "grpc.CopyFileRequest",
  "/grpc.AgentService/CreateContainer": "grpc.CreateContainerRequest",
  "/grpc.AgentService/CreateSandbox": "grpc.CreateSandboxRequest",
  "/grpc.AgentService/DestroySandbox": "grpc.DestroySandboxRequest",
  "/grpc.AgentService/ExecProcess": "grpc.ExecProcessRequest",
  "/grpc.AgentService/GetGuestDetails": "grpc.GuestDetailsRequest",
  "/grpc.AgentService/GetOOMEvent": "grpc.GetOOMEventRequest",
  "/grpc.AgentService/ListInterfaces": "grpc.ListInterfacesRequest",
  "/grpc.AgentService/ListProcesses": "grpc.ListProcessesRequest",
  "/grpc.AgentService/ListRoutes": "grpc.ListRoutesRequest",
  "/grpc.AgentService/MemHotplugByProbe": "grpc.MemHotplugByProbeRequest",
  "/grpc.AgentService/OnlineCPUMem": "grpc.OnlineCPUMemRequest",
  "/grpc.AgentService/PauseContainer": "grpc.PauseContainerRequest",
  "/grpc.AgentService/ReadStderr": "grpc.ReadStreamRequest",
  "/grpc.AgentService/ReadStdout": "grpc.ReadStreamRequest",
  "/grpc.AgentService/RemoveContainer": "grpc.RemoveContainerRequest",
  "/grpc.AgentService/ReseedRandomDev": "grpc.ReseedRandomDevRequest",
  "/grpc.AgentService/ResumeContainer": "grpc.ResumeContainerRequest",
  "/grpc.AgentService/SetGuestDateTime": "grpc.SetGuestDateTimeRequest",
  "/grpc.AgentService/SignalProcess": "grpc.SignalProcessRequest",
  "/grpc.AgentService/StartContainer": "grpc.StartContainerRequest",
  "/grpc.AgentService/StartTracing": "grpc.StartTracingRequest",
  "/grpc.AgentService/StatsContainer": "grpc.StatsContainerRequest",
  "/grpc.AgentService/StopTracing": "grpc.StopTracingRequest",
  "/grpc.AgentService/TtyWinResize": "grpc.TtyWinResizeRequest",
  "/grpc.AgentService/UpdateContainer": "grpc.UpdateContainerRequest",
  "/grpc.AgentService/UpdateInterface": "grpc.UpdateInterfaceRequest",
  "/grpc.AgentService/UpdateRoutes": "grpc.UpdateRoutesRequest",
  "/grpc.AgentService/WaitProcess": "grpc.WaitProcessRequest",
  "/grpc.AgentService/WriteStdin": "grpc.WriteStreamRequest",
  "/grpc.Health/Check": "grpc.CheckRequest",
  "/grpc.Health/Version": "grpc.CheckRequest"
};
